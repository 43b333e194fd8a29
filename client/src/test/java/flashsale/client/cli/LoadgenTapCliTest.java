package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.fakes.FakeLedger;
import flashsale.client.fakes.FakeRegion;
import flashsale.client.load.RequestRecord;
import flashsale.client.load.ResultsFile;
import flashsale.v1.Event;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code loadgen --tap}: every record carries the moment its bytes reached the region. */
class LoadgenTapCliTest {

  @Test
  void tappedLoadRecordsAWireArrivalForEveryRequest(@TempDir Path dir) throws Exception {
    FakeLedger ledger = new FakeLedger();
    ledger.addEvent(Event.newBuilder().setEventId("shoes").setStock(10).build());
    Server near = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(new FakeRegion("near", ledger)).build().start();
    Server far = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()).addService(new FakeRegion("far", ledger)).build().start();
    try {
      Path out = dir.resolve("tapped.csv");
      CliRun run = CliRun.run("loadgen", "--tap", "--region", "near=127.0.0.1:" + near.getPort(), "--region",
          "far=127.0.0.1:" + far.getPort(), "--event", "shoes", "--users", "40", "--rate", "200", "--duration", "200ms",
          "--out", out.toString(), "--no-progress");

      assertEquals(ExitCodes.OK, run.exitCode(), run.err());
      List<RequestRecord> records = ResultsFile.read(out);
      assertEquals(40, records.size());
      for (RequestRecord r : records) {
        assertTrue(r.seenOnWire(), r.requestId() + " has no wire time");
        assertTrue(r.wireMicros() >= r.sendMicros() && r.wireMicros() <= r.sendMicros() + r.latencyMicros(),
            r.requestId() + " reached the region between its send and its answer");
      }
    } finally {
      near.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      far.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
