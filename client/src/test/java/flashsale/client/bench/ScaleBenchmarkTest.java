package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lettuce.core.cluster.SlotHash;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The scale benchmark's choices and arithmetic, without starting any process. */
class ScaleBenchmarkTest {

  @Test
  void eventsLandOnEveryClusterMasterInTurn() {
    List<String> ids = ScaleBenchmark.eventsOverMasters(6);
    assertEquals(6, ids.stream().distinct().count());
    for (int i = 0; i < ids.size(); i++) {
      int slot = SlotHash.getSlot("fs:{" + ids.get(i) + "}");
      int master = slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2; // redis-cli --cluster create's split for three masters
      assertEquals(i % 3, master, ids.get(i) + " is in slot " + slot);
    }
  }

  @Test
  void cpuPerDecisionIsEachProcesssCpuOverTheWindowsDecisions() {
    Map<String, Long> cpu = new LinkedHashMap<>();
    cpu.put("arbiter-1", 2_000_000_000L); // 2 s of CPU over 40,000 decisions: 50 µs each
    cpu.put("redis-1", 400_000_000L);
    var result = new ScaleBenchmark.Result(ScaleBenchmark.SMALL, 40_000, 4.0, 0, new Histogram(3), cpu, 3_000_000_000L);
    var bytes = new ByteArrayOutputStream();
    ScaleReport.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), result);
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("10,000 decided purchases/s"), out);
    assertTrue(out.matches("(?s).*arbiter-1 +50\\.0 +0\\.50.*"), out);
    assertTrue(out.matches("(?s).*redis-1 +10\\.0 +0\\.10.*"), out);
    assertTrue(out.matches("(?s).*rest of the machine +15\\.0 +0\\.15.*"), out);
  }
}
