package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import org.junit.jupiter.api.Test;

class TimeArgsTest {
  private static final Instant NOW = Instant.parse("2025-06-18T12:00:00Z");
  private static final ZoneId SHANGHAI = ZoneId.of("Asia/Shanghai");

  @Test
  void readsIsoWithOffsetLocalTimeInZoneAndRelativeTimes() {
    Instant eightPmShanghai = Instant.parse("2025-06-18T12:00:00Z");
    assertEquals(eightPmShanghai, TimeArgs.parseInstant("2025-06-18T20:00:00+08:00", ZoneId.of("UTC"), NOW));
    assertEquals(eightPmShanghai, TimeArgs.parseInstant("2025-06-18T20:00", SHANGHAI, NOW));
    assertEquals(eightPmShanghai, TimeArgs.parseInstant("2025-06-18T12:00:00Z", SHANGHAI, NOW));
    assertEquals(NOW.plusSeconds(5), TimeArgs.parseInstant("+5s", SHANGHAI, NOW));
    assertEquals(NOW.minusSeconds(120), TimeArgs.parseInstant("-2m", SHANGHAI, NOW));
    assertEquals(NOW, TimeArgs.parseInstant("now", SHANGHAI, NOW));
  }

  /** What a retried event create must take from the first run: the times read against the clock. */
  @Test
  void nowAndOffsetsAreRelativeDatesAreNot() {
    for (String relative : java.util.List.of("now", " now", "+5s", "-2m", "+1h")) {
      org.junit.jupiter.api.Assertions.assertTrue(TimeArgs.isRelative(relative), relative);
    }
    for (String fixed : java.util.List.of("2025-06-18T20:00", "2025-06-18T20:00:00+08:00", "2025-06-18T12:00:00Z")) {
      org.junit.jupiter.api.Assertions.assertFalse(TimeArgs.isRelative(fixed), fixed);
    }
  }

  @Test
  void showsTimesInTheUsersZoneToTheMicrosecond() {
    assertEquals("2025-06-18T20:00:00.000123+08:00",
        TimeArgs.format(Instant.parse("2025-06-18T12:00:00.000123456Z"), SHANGHAI));
  }

  @Test
  void readsDurations() {
    assertEquals(Duration.ofMillis(500), TimeArgs.parseDuration("500ms"));
    assertEquals(Duration.ofSeconds(10), TimeArgs.parseDuration("10"));
    assertEquals(Duration.ofMillis(1500), TimeArgs.parseDuration("1.5s"));
    assertEquals(Duration.ofNanos(250_000), TimeArgs.parseDuration("250us"));
    assertEquals(Duration.ofHours(2), TimeArgs.parseDuration("PT2H"));
    assertThrows(IllegalArgumentException.class, () -> TimeArgs.parseDuration("5 parsecs"));
  }
}
