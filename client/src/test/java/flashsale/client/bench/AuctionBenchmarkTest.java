package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The auction benchmark runs end to end at a small size and prints every figure it promises. */
class AuctionBenchmarkTest {

  @Test
  void printsCloseLatencyPerRegionAndTheBidThroughputRatio() {
    var benchmark = new AuctionBenchmark();
    var printed = new ByteArrayOutputStream();
    benchmark.out = new PrintStream(printed, true, StandardCharsets.UTF_8);

    int exit = new CommandLine(benchmark).execute("--closes", "3", "--bids-per-close", "10", "--duration-s", "1",
        "--in-flight", "100", "--far-delay-ms", "20");

    String text = printed.toString(StandardCharsets.UTF_8);
    assertEquals(0, exit, text);
    for (String region : new String[] {"near", "far"}) {
      Matcher close = Pattern.compile("watcher on " + region + " *: n=(\\d+) p50 ([0-9.]+) ms").matcher(text);
      assertTrue(close.find(), text);
      assertEquals(3, Integer.parseInt(close.group(1)), "every close seen by the " + region + " watcher");
      double floorMillis = region.equals("near") ? 20 : 40;
      assertTrue(Double.parseDouble(close.group(2)) >= floorMillis - 3,
          "a result cannot reach " + region + " before the far region's watermark passed the close: " + text);
    }
    Matcher ratio = Pattern.compile("bid throughput ratio: ([0-9.]+)").matcher(text);
    assertTrue(ratio.find(), text);
    assertTrue(Double.parseDouble(ratio.group(1)) > 0, text);
    Matcher real = Pattern.compile("\nthroughput: .* answered, (\\d+) failed").matcher(text);
    assertTrue(real.find(), text);
    assertEquals(0, Integer.parseInt(real.group(1)), "no bid failed: " + text);
  }
}
