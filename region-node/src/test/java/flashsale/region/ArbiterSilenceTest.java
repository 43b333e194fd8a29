package flashsale.region;

import static flashsale.region.RegionFixture.REGION;
import static flashsale.region.RegionFixture.decision;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.grpc.ArbiterChannels;
import flashsale.v1.DecisionBatch;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Outcome;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.Ticket;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A region on a frozen leader: the leader's connection stays open but nothing comes back, not
 * even clock replies. The region must leave it within about the silence timeout and settle on the
 * new leader within lease ttl + 1 s, even while the other arbiter, still a standby whose view of
 * the lease has not expired yet, names the frozen one as leader.
 */
class ArbiterSilenceTest {
  static final long TTL_MS = 1_000;
  static final String A = "127.0.0.1:7001";
  static final String B = "127.0.0.1:7002";

  private final FakeArbiter a = new FakeArbiter();
  private final FakeArbiter b = new FakeArbiter();
  private Server serverA;
  private Server serverB;
  private RegionServer region;
  private ManagedChannel client;

  @BeforeEach
  void start() throws Exception {
    var shoes = RegionFixture.event("shoes", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION, "us"));
    a.announced.put("shoes", shoes);
    b.announced.put("shoes", shoes);
    b.standbyFor = A;
    String nameA = InProcessServerBuilder.generateName();
    String nameB = InProcessServerBuilder.generateName();
    serverA = InProcessServerBuilder.forName(nameA).directExecutor().addService(a).build().start();
    serverB = InProcessServerBuilder.forName(nameB).directExecutor().addService(b).build().start();
    RegionConfig config = RegionConfig.builder(REGION).reconnectMs(20, 500).arbiterSilenceTimeoutMs(TTL_MS).build();
    String regionName = InProcessServerBuilder.generateName();
    region = new RegionServer(InProcessServerBuilder.forName(regionName).directExecutor(), config,
        InstantSource.system(), ArbiterChannels.of(
            InProcessChannelBuilder.forName(nameA).overrideAuthority(A).directExecutor().build(),
            InProcessChannelBuilder.forName(nameB).overrideAuthority(B).directExecutor().build())).start();
    client = InProcessChannelBuilder.forName(regionName).directExecutor().build();
  }

  @AfterEach
  void stop() throws Exception {
    client.shutdownNow();
    region.stop();
    serverA.shutdownNow();
    serverB.shutdownNow();
  }

  @Test
  void aLiveLeaderThatAnswersProbesIsKept() throws Exception {
    FakeArbiter.Stream first = a.nextStream();
    Thread.sleep(5 * TTL_MS / 2);
    assertTrue(region.arbiterConnected());
    assertTrue(a.streams.isEmpty(), "reconnected to a leader that answered every probe");
    assertEquals(0, b.refused.get());
    assertEquals(SequenceRequest.KindCase.HELLO, first.next().getKindCase());
  }

  @Test
  void aRegionLeavesAFrozenLeaderForTheNewOneWithinTtlPlusOneSecond() throws Exception {
    FakeArbiter.Stream onA = a.nextStream();
    RegionFixture.await("connected to A", region::arbiterConnected);
    var pending = FlashSaleServiceGrpc.newFutureStub(client).withDeadlineAfter(20, TimeUnit.SECONDS)
        .purchase(RegionFixture.request("shoes", "alice", "r1", 1));
    Ticket ticket = onA.nextTicket();

    long frozenNanos = System.nanoTime();
    a.silent = true; // SIGSTOP: the socket stays open, nothing comes back
    // B's lease view still names A until A's lease runs out (ttl), then B leads after its next renew tick.
    CompletableFuture.runAsync(() -> b.standbyFor = null,
        CompletableFuture.delayedExecutor(TTL_MS + 250, TimeUnit.MILLISECONDS));

    FakeArbiter.Stream onB = b.nextStream();
    assertEquals(SequenceRequest.KindCase.HELLO, onB.next().getKindCase());
    long movedMs = (System.nanoTime() - frozenNanos) / 1_000_000;
    System.out.printf("region left a frozen leader for the new one after %d ms (silence timeout %d ms, %d refusals "
        + "by the standby meanwhile)%n", movedMs, TTL_MS, b.refused.get());
    assertTrue(movedMs <= TTL_MS + 1_000, "moved after " + movedMs + " ms");
    assertTrue(movedMs >= TTL_MS, "left a leader silent for only " + movedMs + " ms");
    assertTrue(a.streams.isEmpty(), "followed the standby back to the frozen leader");

    assertEquals(ticket, onB.nextTicket(), "the undecided ticket is resent to the new leader");
    onB.send(SequenceResponse.newBuilder()
        .setDecisionBatch(DecisionBatch.newBuilder().addDecisions(decision(ticket, true, 1))).build());
    assertEquals(Outcome.OUTCOME_WON, pending.get(5, TimeUnit.SECONDS).getDecision().getOutcome());
  }
}
