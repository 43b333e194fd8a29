package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.FlashSaleChannels;
import flashsale.client.fakes.FakeCluster;
import flashsale.client.load.ArrivalPattern;
import flashsale.client.load.LoadConfig;
import flashsale.client.load.LoadGenerator;
import flashsale.client.load.RegionTarget;
import flashsale.client.load.RequestRecord;
import flashsale.client.load.ResultsFile;
import flashsale.client.report.FairnessReport;
import flashsale.client.report.RunResult;
import flashsale.v1.Event;
import io.grpc.ManagedChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code loadgen} and {@code report} end to end against fake regions. */
class LoadAndReportCliTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void loadgenWritesOneRecordPerRequestAndDrawsProgress(@TempDir Path dir) throws Exception {
    String near = cluster.startRegion("near");
    String far = cluster.startRegion("far");
    cluster.ledger.addEvent(Event.newBuilder().setEventId("shoes").setStock(10).build());
    Path out = dir.resolve("results.csv");

    CliRun run = CliRun.run("loadgen", "--region", "near=" + near, "--region", "far=" + far, "--event", "shoes",
        "--users", "60", "--rate", "200", "--duration", "300ms", "--pattern", "ramp", "--out", out.toString());

    assertEquals(ExitCodes.OK, run.exitCode(), run.err());
    List<RequestRecord> records = ResultsFile.read(out);
    assertEquals(60, records.size());
    assertEquals(10, records.stream().filter(RequestRecord::won).count());
    assertEquals(30, records.stream().filter(r -> r.region().equals("far")).count());
    assertTrue(run.out().startsWith("wrote 60 records to " + out), run.out());
    assertTrue(run.err().contains("] 100%  sent 60/60  answered 60"), run.err());
  }

  @Test
  void reportOnRecordedFilesReproducesTheInMemoryFigures(@TempDir Path dir) throws Exception {
    ManagedChannel near = FlashSaleChannels.forTarget(cluster.startRegion("near"));
    ManagedChannel far = FlashSaleChannels.forTarget(cluster.startRegion("far"));
    cluster.ledger.addEvent(Event.newBuilder().setEventId("a").setStock(15).build());
    cluster.ledger.addEvent(Event.newBuilder().setEventId("b").setStock(15).build());
    List<RegionTarget> regions = List.of(new RegionTarget("near", near), new RegionTarget("far", far));
    try {
      List<RequestRecord> fair = new LoadGenerator(
          LoadConfig.of("a", regions, 50, 100, Duration.ofMillis(500), ArrivalPattern.POISSON)).run().records();
      List<RequestRecord> biased = new LoadGenerator(
          LoadConfig.of("b", regions, 50, 50, Duration.ofSeconds(1), ArrivalPattern.BURST)
              .withClientDelay(p -> p.region().equals("far") ? 50_000 : 0)).run().records();
      Path csv = dir.resolve("GLOBAL_ORDER.csv");
      Path json = dir.resolve("run-b.json");
      ResultsFile.write(csv, fair);
      ResultsFile.write(json, biased);
      Path html = dir.resolve("report.html");
      FairnessReport expected = FairnessReport.of(
          List.of(new RunResult("GLOBAL_ORDER", fair), new RunResult("CENTRAL", biased)), 250);

      CliRun run = CliRun.run("report", csv.toString(), "CENTRAL=" + json, "--clock-bound-us", "250",
          "--html", html.toString());

      assertEquals(ExitCodes.OK, run.exitCode(), run.err());
      assertEquals(expected.table() + "wrote " + html + "\n", run.out());
      assertTrue(Files.readString(html).contains("data:image/png;base64,"));
    } finally {
      near.shutdownNow();
      far.shutdownNow();
    }
  }
}
