package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.ArbiterConfig;
import flashsale.arbiter.ArbiterNode;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import flashsale.store.memory.InMemoryArbiterStore;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A newly elected node loads its live events on a thread of its own: the lease keeps being renewed
 * meanwhile, and the node reports NOT_SERVING (and refuses calls) until it has loaded them.
 */
class TakeoverTest {

  /** A lease this node always wins, counting renewals. */
  private static final class GrantedLease implements LeaderLease {
    final AtomicInteger renewals = new AtomicInteger();

    @Override
    public LeaseView tryAcquire() {
      return new LeaseView(true, 1, "127.0.0.1:1");
    }

    @Override
    public boolean renew(long epoch) {
      renewals.incrementAndGet();
      return true;
    }

    @Override
    public void release(long epoch) {}

    @Override
    public void close() {}
  }

  /** An in-memory store whose live-event listing waits for the test: a slow recovery. */
  private static final class SlowStore implements ArbiterStore {
    final InMemoryArbiterStore inner = new InMemoryArbiterStore();
    final CountDownLatch listed = new CountDownLatch(1);
    final CountDownLatch proceed = new CountDownLatch(1);

    @Override
    public List<EventSpec> listLiveEvents() {
      listed.countDown();
      try {
        proceed.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return inner.listLiveEvents();
    }

    @Override public EventSpec createEvent(String requestId, EventSpec spec) { return inner.createEvent(requestId, spec); }
    @Override public Optional<EventSpec> findEvent(String eventId) { return inner.findEvent(eventId); }
    @Override public void finishEvent(String eventId) { inner.finishEvent(eventId); }
    @Override public CompletableFuture<Void> persistBatch(DecisionBatch b, long epoch) { return inner.persistBatch(b, epoch); }
    @Override public void fenceEvent(String eventId, long epoch) { inner.fenceEvent(eventId, epoch); }
    @Override public EventHead loadHead(String eventId) { return inner.loadHead(eventId); }
    @Override public Optional<Decision> findDecision(String e, String r) { return inner.findDecision(e, r); }
    @Override public List<Decision> listDecisions(String e, long after, int limit) { return inner.listDecisions(e, after, limit); }
    @Override public List<Decision> readOutbox(String eventId) { return inner.readOutbox(eventId); }
    @Override public void close() {}
  }

  @Test
  void theLeaseIsRenewedWhileTheNewLeaderLoadsAndItServesOnlyOnceLoaded() throws Exception {
    SlowStore store = new SlowStore();
    GrantedLease lease = new GrantedLease();
    String name = InProcessServerBuilder.generateName();
    ArbiterNode node = new ArbiterNode(ArbiterConfig.defaults(), InProcessServerBuilder.forName(name).directExecutor(),
        store, Clock.systemUTC(), lease);
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      node.start();
      assertTrue(store.listed.await(10, TimeUnit.SECONDS), "elected, recovery started");
      long renewIntervalMs = ArbiterConfig.defaults().lease().renewIntervalMs();
      Thread.sleep(3 * renewIntervalMs + 100);
      assertTrue(lease.renewals.get() >= 2, "renewed " + lease.renewals.get() + " times while recovering");
      assertEquals(ServingStatus.NOT_SERVING, health(channel));
      assertFalse(node.leading());

      store.proceed.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (health(channel) != ServingStatus.SERVING && System.nanoTime() < deadline) Thread.sleep(10);
      assertEquals(ServingStatus.SERVING, health(channel));
      assertTrue(node.leading());
    } finally {
      store.proceed.countDown();
      channel.shutdownNow();
      node.stop();
    }
  }

  private static ServingStatus health(ManagedChannel channel) {
    return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }
}
