package flashsale.arbiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.cluster.InMemoryLeaderLease;
import flashsale.arbiter.cluster.LeaderState;
import flashsale.arbiter.cluster.LeaseSettings;
import flashsale.arbiter.cluster.LeaseView;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.RegionHello;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.wire.Errors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The standby race: a region's {@code Sequence} stream opened at the moment its arbiter loses the
 * lease. Whatever the order (hello before the deposition, racing it, or on a call the gate let in
 * just before and whose hello comes after), the stream must end with NOT_LEADER: a region is never
 * left welcomed on a standby. 50 leader changes, in a seeded random order.
 */
class StandbyRaceTest {
  static final LeaseSettings LEASE = new LeaseSettings(100, 10);
  static final long WAIT_MS = 5_000;

  private final InMemoryLeaderLease.Table lease = new InMemoryLeaderLease.Table(System::nanoTime);
  /** Another arbiter: it takes the lease from the node under test, then gives it back. */
  private final InMemoryLeaderLease rival = lease.contender("10.0.0.2:9090", LEASE);
  private volatile long rivalEpoch;
  private ArbiterNode node;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    ArbiterConfig d = ArbiterConfig.defaults();
    var config = new ArbiterConfig("race", 0, null, "127.0.0.1:1", d.maxClockSkewMicros(), d.maxBatchSize(),
        d.maxInboundMessageBytes(), d.regionTimeoutMicros(), LEASE, null, d.maxErrorBoundMicros(), null, 0, 100,
        d.regionStreamUnreadLimitMs(), d.regionStreamUnreadLimitBytes(), d.maxTicketAgeMicros());
    node = new ArbiterNode(config, InProcessServerBuilder.forName(name).directExecutor(), new InMemoryArbiterStore(),
        Clock.systemUTC(), lease.contender("127.0.0.1:1", LEASE)).start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    node.stop();
  }

  @Test
  void aStreamOpenedAtALeaderChangeIsNeverLeftOnTheStandby() throws Exception {
    long seed = System.nanoTime();
    Random random = new Random(seed);
    int welcomedThenClosed = 0;
    for (int round = 1; round <= 50; round++) {
      String context = "seed=" + seed + " round=" + round;
      await(() -> node.leaderState() == LeaderState.LEADING, "leading again, " + context);
      int order = random.nextInt(3);
      Recorder region = new Recorder();
      StreamObserver<SequenceRequest> stream = SequencerServiceGrpc.newStub(channel).sequence(region);
      switch (order) {
        case 0 -> { // hello, then the lease is lost
          hello(stream, round);
          loseLease();
        }
        case 1 -> { // the lease is lost while the hello is on its way
          CompletableFuture<Void> revoke = CompletableFuture.runAsync(() -> {
            sleepMicros(random.nextInt(2_000));
            loseLease();
          });
          sleepMicros(random.nextInt(2_000));
          hello(stream, round);
          revoke.join();
        }
        default -> { // the gate let the call in while leading; its hello arrives after the deposition
          loseLease();
          await(() -> node.leaderState() == LeaderState.STANDBY, "deposed, " + context);
          hello(stream, round);
        }
      }
      await(() -> node.leaderState() == LeaderState.STANDBY, "deposed, " + context);
      Status ended = region.ended.get(WAIT_MS, TimeUnit.MILLISECONDS);
      assertNotNull(ended);
      assertEquals(Status.Code.UNAVAILABLE, ended.getCode(), context + ": " + ended);
      assertEquals("NOT_LEADER", Errors.reasonOf(ended.asRuntimeException(region.trailers)).orElse(""), context);
      if (region.welcomed.get()) welcomedThenClosed++;
      rival.release(rivalEpoch); // the node takes the lease back at its next tick
    }
    System.out.printf("standby race: 50 leader changes, %d streams welcomed before the change and closed by it (seed=%d)%n",
        welcomedThenClosed, seed);
  }

  /** The node's lease ends under it (as in a pause) and the rival takes it before the node can again. */
  private void loseLease() {
    LeaseView taken;
    do {
      lease.expire();
      taken = rival.tryAcquire(0).toCompletableFuture().join();
    } while (!taken.mine());
    rivalEpoch = taken.epoch();
  }

  private static void hello(StreamObserver<SequenceRequest> stream, int round) {
    stream.onNext(SequenceRequest.newBuilder()
        .setHello(RegionHello.newBuilder().setRegion("east").setInstanceId("i-" + round)).build());
  }

  private static void sleepMicros(long micros) {
    long until = System.nanoTime() + micros * 1_000;
    while (System.nanoTime() < until) Thread.onSpinWait();
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "not " + what + " within " + WAIT_MS + " ms");
      Thread.sleep(1);
    }
  }

  /**
   * A leader that stops gives its lease up only once it no longer leads: a rival that takes the
   * lease at once never shares the role with it (metrics, readiness and calls all say standby).
   */
  @Test
  void aStoppingLeaderStopsLeadingBeforeItsLeaseGoes() throws Exception {
    String name = InProcessServerBuilder.generateName();
    ArbiterConfig d = ArbiterConfig.defaults();
    var config = new ArbiterConfig("stopping", 0, null, "127.0.0.1:2", d.maxClockSkewMicros(), d.maxBatchSize(),
        d.maxInboundMessageBytes(), d.regionTimeoutMicros(), LEASE, null, d.maxErrorBoundMicros(), null, 0, 100,
        d.regionStreamUnreadLimitMs(), d.regionStreamUnreadLimitBytes(), d.maxTicketAgeMicros());
    var own = new InMemoryLeaderLease.Table(System::nanoTime).contender("127.0.0.1:2", LEASE); // a cluster of its own
    ArbiterNode[] stopping = new ArbiterNode[1];
    var stateAtRelease = new CompletableFuture<LeaderState>();
    var watched = new flashsale.arbiter.cluster.LeaderLease() {
      @Override
      public java.util.concurrent.CompletionStage<LeaseView> tryAcquire(long epochFloor) {
        return own.tryAcquire(epochFloor);
      }

      @Override
      public java.util.concurrent.CompletionStage<Boolean> renew(long epoch) {
        return own.renew(epoch);
      }

      @Override
      public void release(long epoch) {
        stateAtRelease.complete(stopping[0].leaderState());
        own.release(epoch);
      }

      @Override
      public void close() {
        own.close();
      }
    };
    stopping[0] = new ArbiterNode(config, InProcessServerBuilder.forName(name).directExecutor(), new InMemoryArbiterStore(),
        Clock.systemUTC(), watched).start();
    await(() -> stopping[0].leaderState() == LeaderState.LEADING, "leading");
    ManagedChannel toStopping = InProcessChannelBuilder.forName(name).directExecutor().build();
    Recorder region = welcomedStream(toStopping);

    stopping[0].stop();

    assertEquals(LeaderState.STANDBY, stateAtRelease.get(5, TimeUnit.SECONDS), "no longer the leader when its lease went");
    // The region is told to go elsewhere now, not sent back to this node as "the leader".
    Status ended = region.ended.get(5, TimeUnit.SECONDS);
    assertEquals("SHUTTING_DOWN", Errors.reasonOf(ended.asRuntimeException(region.trailers)).orElse("<none>"), ended.toString());
    toStopping.shutdownNow();
  }

  /**
   * A stream the node welcomed, reconnecting as a region does when one is refused: a leader whose
   * renewals a loaded machine held up past the ttl refuses hellos until the next one lands.
   */
  private static Recorder welcomedStream(ManagedChannel channel) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_MS);
    for (int round = 1; ; round++) {
      Recorder region = new Recorder();
      hello(SequencerServiceGrpc.newStub(channel).sequence(region), round);
      await(() -> region.welcomed.get() || region.ended.isDone(), "welcomed or refused");
      if (region.welcomed.get()) return region;
      assertTrue(System.nanoTime() < deadline, "not welcomed within " + WAIT_MS + " ms; last: " + region.ended.join());
      Thread.sleep(10);
    }
  }

  /** What the region saw on its stream. */
  private static final class Recorder implements StreamObserver<SequenceResponse> {
    final AtomicBoolean welcomed = new AtomicBoolean();
    final CompletableFuture<Status> ended = new CompletableFuture<>();
    volatile io.grpc.Metadata trailers;

    @Override
    public void onNext(SequenceResponse message) {
      if (message.hasWelcome()) welcomed.set(true);
    }

    @Override
    public void onError(Throwable t) {
      trailers = Status.trailersFromThrowable(t);
      ended.complete(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      ended.complete(Status.OK);
    }
  }
}
