package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.FlashSaleClient;
import flashsale.client.PurchaseResult;
import flashsale.client.PurchaseStream;
import flashsale.client.ReopenPolicy;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.client.cluster.TcpDelayProxy;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The SDK's {@link PurchaseStream} through a proxy whose connections are cut in the middle of a
 * burst, against a real cluster (an arbiter on Redis, one region): the stream reopens and resends
 * what was unanswered (stamped at the region already, or lost with the connection), every purchase
 * gets a decision, and the arbiter decided each request id once.
 */
class PurchaseStreamReopenEndToEndTest {
  static final int STOCK = 50;
  static final int PER_CHUNK = 100;
  static ClusterFixture fx;
  static TcpDelayProxy proxy;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    fx = new ClusterFixture(List.of(new RegionSpec("near", 0, Duration.ZERO)));
    String tap = fx.cluster.regionTarget("near");
    // 200 ms each way: a chunk's answers are still on their way back when its connection is cut.
    proxy = new TcpDelayProxy(Integer.parseInt(tap.substring(tap.lastIndexOf(':') + 1)), 200);
    // A channel without gRPC's own retry policy: what reopens here is the SDK, nothing else.
    channel = Grpc.newChannelBuilder(proxy.address(), InsecureChannelCredentials.create()).build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    proxy.close();
    fx.close();
  }

  @Test
  void purchasesOnAStreamWhoseConnectionIsCutMidBurstAreEachDecidedOnce() throws Exception {
    fx.createEvent("reopened", STOCK, -1_000, 120_000);
    FlashSaleClient client = new FlashSaleClient(channel, Duration.ofSeconds(30));
    client.getEvent("reopened"); // the connection is open before the burst
    PurchaseStream stream = client.openPurchaseStream(Duration.ofMinutes(1), ReopenPolicy.DEFAULT);

    Map<String, CompletableFuture<PurchaseResult>> sent = new LinkedHashMap<>();
    List<Long> answeredAtCut = new ArrayList<>();
    Map<String, Long> unansweredAtCutMicros = new LinkedHashMap<>();
    for (int cut = 0; cut < 2; cut++) {
      sendChunk(stream, sent);
      fx.awaitStamped("near", "reopened", "r-" + (sent.size() - 1)); // the whole chunk reached the region
      answeredAtCut.add(sent.values().stream().filter(CompletableFuture::isDone).count());
      long cutMicros = System.currentTimeMillis() * 1000;
      sent.forEach((id, f) -> {
        if (!f.isDone()) unansweredAtCutMicros.put(id, cutMicros);
      });
      proxy.cutConnections();
      sendChunk(stream, sent); // on a dead connection, or queued while the stream reopens
      int reopened = cut + 1;
      awaitTrue(() -> stream.reopenCount() >= reopened, "reopen number " + reopened);
      // Answers came on the reopened stream: the next cut breaks it, not a connection still opening.
      CompletableFuture.allOf(sent.values().toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
    }

    Map<String, PurchaseDecision> decisions = new LinkedHashMap<>();
    for (var e : sent.entrySet()) {
      PurchaseResult result = e.getValue().get(30, TimeUnit.SECONDS);
      decisions.put(e.getKey(), assertInstanceOf(PurchaseResult.Decided.class, result, e.getKey()).decision());
    }
    stream.close();
    stream.ended().get(10, TimeUnit.SECONDS);
    long winners = decisions.values().stream().filter(d -> d.getOutcome() == Outcome.OUTCOME_WON).count();
    // Unanswered at a cut although the region had stamped them: the resend joined the pending purchase.
    long joined = unansweredAtCutMicros.entrySet().stream()
        .filter(e -> Times.micros(decisions.get(e.getKey()).getArrivalTime()) < e.getValue()).count();
    System.out.printf("reopened stream: %d purchases, answered when cut %s, unanswered at a cut %d (of which stamped"
        + " before it %d), reopens %d, winners %d%n", sent.size(), answeredAtCut, unansweredAtCutMicros.size(), joined,
        stream.reopenCount(), winners);

    assertTrue(stream.reopenCount() >= 2, "a reopen per cut: " + stream.reopenCount());
    assertTrue(joined > 0, "some purchases were pending at the region when cut, and were resent");
    decisions.forEach((id, d) -> assertEquals(id, d.getRequestId()));
    assertEquals(STOCK, winners, "demand is 8 times the stock: it sells out, never over");

    // The arbiter's audit log: one decision per request id, the one the stream delivered.
    List<PurchaseDecision> log = fx.decisions("reopened");
    assertEquals(sent.size(), log.size(), "one decision per request id, none twice");
    Map<String, PurchaseDecision> logged = log.stream()
        .collect(Collectors.toMap(PurchaseDecision::getRequestId, Function.identity()));
    assertEquals(decisions.keySet(), logged.keySet());
    decisions.forEach((id, d) -> {
      assertEquals(logged.get(id).getOutcome(), d.getOutcome(), id);
      assertEquals(logged.get(id).getRank(), d.getRank(), id);
    });
  }

  private static void sendChunk(PurchaseStream stream, Map<String, CompletableFuture<PurchaseResult>> sent) {
    int from = sent.size();
    for (int i = from; i < from + PER_CHUNK; i++) sent.put("r-" + i, stream.purchase("reopened", "u" + i, "r-" + i, 1));
  }

  private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not within 10 s: " + what);
      Thread.sleep(1);
    }
  }
}
