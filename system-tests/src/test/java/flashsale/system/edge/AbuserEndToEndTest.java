package flashsale.system.edge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.bench.AbuseRun;
import flashsale.client.bench.AbuserBenchmark;
import flashsale.client.cluster.JarCluster;
import flashsale.client.load.RequestRecord;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseRequest;
import flashsale.wire.Errors;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * One user id sending 3,000 purchases a second at a region started from the jars is answered
 * RESOURCE_EXHAUSTED RATE_LIMITED beyond the configured rate, while a crowd of other users buying
 * at the same time is never limited. (Their latency is compared by {@code AbuserBenchmark}, not
 * here: timings do not belong in tests on a shared machine.)
 */
class AbuserEndToEndTest {
  static final int USER_RATE = 50;
  static final int USER_BURST = 50;

  @Test
  void theAbuserIsLimitedToTheConfiguredRateAndTheCrowdIsNot() throws Exception {
    var settings = JarCluster.Settings.fromBuild(Path.of("").toAbsolutePath(), 0, null,
            Path.of("target", "abuser-logs", Long.toString(System.currentTimeMillis())))
        .withRegionArgs(List.of("--user-rate", Integer.toString(USER_RATE), "--user-burst", Integer.toString(USER_BURST),
            "--max-pending-per-user", "10000", "--warmup-purchases", "0"));
    try (JarCluster cluster = JarCluster.start(settings, Duration.ofSeconds(120))) {
      ManagedChannel admin = cluster.adminChannel();
      ManagedChannel buyers = Grpc.newChannelBuilder("127.0.0.1:" + cluster.regionPort("near"),
          InsecureChannelCredentials.create()).build();
      try {
        var result = new AbuseRun(200, 200, 3_000, Duration.ofSeconds(1))
            .run(admin, JarCluster.REGIONS, "near", buyers, buyers, "abuse");
        AbuseRun.Abuser abuser = result.abuser();
        long sent = abuser.sent();
        long decided = abuser.count("DECIDED");
        long limited = abuser.count("RESOURCE_EXHAUSTED");
        double seconds = abuser.elapsedMicros() / 1e6;
        long allowed = USER_BURST + (long) Math.ceil(USER_RATE * seconds);
        String summary = "abuser sent " + sent + " over " + seconds + " s: " + abuser.outcomes() + "; allowed at most "
            + allowed;
        System.out.println(summary);
        assertEquals(sent, decided + limited, "every abuser call is decided or limited: " + summary);
        assertTrue(decided <= allowed, summary);
        assertTrue(decided >= USER_BURST, "the burst must get through: " + summary);
        assertEquals(Map.of(), AbuserBenchmark.errorCodes(result.crowd()), "the crowd is never limited");
        assertEquals(result.crowd().records().size(),
            result.crowd().records().stream().filter(RequestRecord::decided).count(), "every crowd purchase is decided");

        // What a limited client is told: the reason and when to come back (calls sent at once, so
        // no refill between them can hide the limit).
        var stub = FlashSaleServiceGrpc.newFutureStub(buyers).withDeadlineAfter(10, TimeUnit.SECONDS);
        List<com.google.common.util.concurrent.ListenableFuture<?>> calls = new java.util.ArrayList<>();
        for (int i = 0; i < 2 * USER_BURST; i++) {
          calls.add(stub.purchase(PurchaseRequest.newBuilder().setEventId("abuse").setUserId("one-more")
              .setRequestId("one-more-" + i).setQuantity(1).build()));
        }
        StatusRuntimeException e = null;
        flashsale.v1.PurchaseDecision firstDecision = null;
        for (var call : calls) {
          try {
            var answer = (flashsale.v1.PurchaseResponse) call.get();
            if (firstDecision == null) firstDecision = answer.getDecision();
          } catch (java.util.concurrent.ExecutionException failed) {
            e = (StatusRuntimeException) failed.getCause();
          }
        }
        // Right after being limited: a retry of a decided purchase gets its decision (retries are
        // answered from what the region knows before any limit is counted).
        assertTrue(firstDecision != null, "no call of the burst was decided");
        assertEquals(firstDecision, FlashSaleServiceGrpc.newBlockingStub(buyers).withDeadlineAfter(10, TimeUnit.SECONDS)
            .purchase(PurchaseRequest.newBuilder().setEventId("abuse").setUserId("one-more")
                .setRequestId(firstDecision.getRequestId()).setQuantity(1).build()).getDecision());
        assertTrue(e != null, "no call of " + 2 * USER_BURST + " at once was limited");
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode(), e.getStatus().toString());
        assertEquals("RATE_LIMITED", Errors.reasonOf(e).orElse("<none>"));
        var retryDelay = Errors.retryDelayOf(e).orElseThrow(() -> new AssertionError("no RetryInfo"));
        assertTrue(!retryDelay.isNegative() && !retryDelay.isZero() && retryDelay.toMillis() <= 1000 / USER_RATE + 1,
            "retry delay " + retryDelay);
      } finally {
        admin.shutdownNow();
        buyers.shutdownNow();
      }
    }
  }
}
