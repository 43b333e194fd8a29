package flashsale.region.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.Test;

class StampClockTest {

  @Test
  void followsTheClockWhileItMovesForward() {
    FakeClock clock = new FakeClock(1_000_000);
    StampClock stamps = new StampClock(clock);
    assertEquals(1_000_000, stamps.next());
    clock.advance(250);
    assertEquals(1_000_250, stamps.next());
  }

  @Test
  void stallingClockStillGivesStrictlyIncreasingStamps() {
    FakeClock clock = new FakeClock(5_000);
    StampClock stamps = new StampClock(clock);
    assertEquals(5_000, stamps.next());
    assertEquals(5_001, stamps.next());
    assertEquals(5_002, stamps.next());
  }

  @Test
  void clockSteppingBackNeverReversesStamps() {
    FakeClock clock = new FakeClock(10_000);
    StampClock stamps = new StampClock(clock);
    long last = stamps.next();
    clock.set(2_000);
    for (int i = 0; i < 100; i++) {
      long s = stamps.next();
      assertTrue(s > last, "stamp " + s + " not above " + last);
      last = s;
    }
    assertEquals(10_100, last);
    clock.set(20_000);
    assertEquals(20_000, stamps.next(), "catches up once the clock passes the last stamp");
  }

  @Test
  void rawReadingIsNotAStamp() {
    FakeClock clock = new FakeClock(7_000);
    StampClock stamps = new StampClock(clock);
    stamps.next();
    stamps.next();
    assertEquals(7_000, stamps.nowMicros());
    assertEquals(7_001, stamps.lastMicros());
  }

  @Test
  void convertsInstantsToMicrosecondsIncludingBeforeTheEpoch() {
    assertEquals(1_500_000, StampClock.micros(Instant.ofEpochSecond(1, 500_000_999)));
    assertEquals(-1, StampClock.micros(Instant.ofEpochSecond(-1, 999_999_000)));
  }
}
