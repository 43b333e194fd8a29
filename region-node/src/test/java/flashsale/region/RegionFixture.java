package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.util.concurrent.ListenableFuture;
import flashsale.region.grpc.ArbiterChannels;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.Ticket;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.function.Executable;

/**
 * An in-process region node "eu" wired to a {@link FakeArbiter}, plus a client. Events are placed
 * around the real clock: {@code shoes} is open for an hour either side of now.
 */
final class RegionFixture implements AutoCloseable {
  static final String REGION = "eu";

  final FakeArbiter arbiter = new FakeArbiter();
  final RegionServer region;
  final FakeArbiter.Stream stream;
  private final Server arbiterServer;
  final ManagedChannel client;

  RegionFixture() throws Exception {
    this(config().build(), InstantSource.system());
  }

  RegionFixture(RegionConfig config, InstantSource clock) throws Exception {
    arbiter.announced.put("shoes", event("shoes", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION, "us")));
    String arbiterName = InProcessServerBuilder.generateName();
    String regionName = InProcessServerBuilder.generateName();
    arbiterServer = InProcessServerBuilder.forName(arbiterName).directExecutor().addService(arbiter).build().start();
    region = new RegionServer(InProcessServerBuilder.forName(regionName).directExecutor(), config, clock,
        ArbiterChannels.of(InProcessChannelBuilder.forName(arbiterName).directExecutor().build())).start();
    client = InProcessChannelBuilder.forName(regionName).directExecutor().build();
    stream = arbiter.nextStream();
    await("region connected", region::arbiterConnected);
  }

  /**
   * A region node on its production socket transport (stamps at the socket read), its arbiter
   * link in process to {@code arbiter}, and a client over TCP; closing stops all three.
   */
  record OnSocket(RegionServer region, Server arbiterServer, ManagedChannel client) implements AutoCloseable {
    static OnSocket start(FakeArbiter arbiter, RegionConfig config, InstantSource clock) throws Exception {
      String arbiterName = InProcessServerBuilder.generateName();
      Server arbiterServer = InProcessServerBuilder.forName(arbiterName).directExecutor().addService(arbiter).build().start();
      RegionServer region = RegionServer.onPort(0, config, clock,
          ArbiterChannels.of(InProcessChannelBuilder.forName(arbiterName).directExecutor().build()),
          flashsale.region.modes.ModesConfig.none()).start();
      ManagedChannel client = io.grpc.Grpc.newChannelBuilder("127.0.0.1:" + region.port(),
          io.grpc.InsecureChannelCredentials.create()).build();
      return new OnSocket(region, arbiterServer, client);
    }

    /**
     * As {@link #start}, the arbiter announcing {@code shoes} (open an hour either side of now, in
     * this region and "us"), heartbeats every 5 ms and no warm-up.
     */
    static OnSocket startSellingShoes(FakeArbiter arbiter) throws Exception {
      arbiter.announced.put("shoes", event("shoes", Duration.ofHours(-1), Duration.ofHours(1), List.of(REGION, "us")));
      return start(arbiter, config().heartbeatIntervalMs(5).warmupPurchases(0).build(), InstantSource.system());
    }

    @Override
    public void close() throws InterruptedException {
      client.shutdownNow();
      region.stop();
      arbiterServer.shutdownNow();
    }
  }

  static RegionConfig.Builder config() {
    // No drain at stop: tests end with purchases the fake arbiter never decides (RegionShutdownDrainTest drains).
    return RegionConfig.builder(REGION).clockProbeIntervalMs(20).reconnectMs(10, 100).arbiterCallTimeoutMs(1_000)
        .shutdownDrainMs(0);
  }

  static Event event(String id, Duration startFromNow, Duration endFromNow, List<String> regions) {
    return event(id, startFromNow, endFromNow, regions, EventMode.EVENT_MODE_GLOBAL_ORDER);
  }

  static Event event(String id, Duration startFromNow, Duration endFromNow, List<String> regions, EventMode mode) {
    Instant now = Instant.now();
    return Event.newBuilder()
        .setEventId(id)
        .setItem("item " + id)
        .setStock(10)
        .setStartTime(Times.timestamp(micros(now.plus(startFromNow))))
        .setEndTime(Times.timestamp(micros(now.plus(endFromNow))))
        .setPerUserLimit(2)
        .addAllRegions(regions)
        .setMode(mode)
        .build();
  }

  FlashSaleServiceGrpc.FlashSaleServiceFutureStub future() {
    return FlashSaleServiceGrpc.newFutureStub(client).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  FlashSaleServiceGrpc.FlashSaleServiceStub async() {
    return FlashSaleServiceGrpc.newStub(client).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  FlashSaleServiceGrpc.FlashSaleServiceBlockingStub blocking() {
    return FlashSaleServiceGrpc.newBlockingStub(client).withDeadlineAfter(5, TimeUnit.SECONDS);
  }

  HealthCheckResponse.ServingStatus health(String service) {
    return HealthGrpc.newBlockingStub(client).withDeadlineAfter(5, TimeUnit.SECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
  }

  ListenableFuture<PurchaseResponse> purchase(String eventId, String user, String requestId, int quantity) {
    return FlashSaleServiceGrpc.newFutureStub(client).withDeadlineAfter(10, TimeUnit.SECONDS)
        .purchase(request(eventId, user, requestId, quantity));
  }

  static PurchaseRequest request(String eventId, String user, String requestId, int quantity) {
    return PurchaseRequest.newBuilder()
        .setEventId(eventId).setUserId(user).setRequestId(requestId).setQuantity(quantity).build();
  }

  /** The arbiter's decision on a ticket this region sent. */
  static PurchaseDecision decision(Ticket t, boolean won, long rank) {
    return PurchaseDecision.newBuilder()
        .setEventId(t.getEventId())
        .setRequestId(t.getRequestId())
        .setUserId(t.getUserId())
        .setQuantity(t.getQuantity())
        .setOutcome(won ? Outcome.OUTCOME_WON : Outcome.OUTCOME_LOST)
        .setRank(rank)
        .setRegion(REGION)
        .setArrivalTime(Times.timestamp(t.getArrivalMicros()))
        .setDecideTime(Times.timestamp(t.getArrivalMicros() + 3_000))
        .setLossReason(won ? flashsale.v1.LossReason.LOSS_REASON_UNSPECIFIED
            : flashsale.v1.LossReason.LOSS_REASON_INSUFFICIENT_STOCK)
        .build();
  }

  /** A call fails with exactly this code and ErrorInfo reason. */
  static StatusRuntimeException assertError(Status.Code code, ErrorReason reason, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    assertEquals(Optional.of(reason.name()), Errors.reasonOf(e), e.toString());
    return e;
  }

  /** A future call fails with exactly this code and ErrorInfo reason. */
  static StatusRuntimeException assertFails(Status.Code code, ErrorReason reason, ListenableFuture<?> call) {
    return assertError(code, reason, () -> {
      try {
        call.get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        throw assertInstanceOf(StatusRuntimeException.class, e.getCause());
      }
    });
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + FakeArbiter.WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
      Thread.sleep(2);
    }
  }

  static long micros(Instant i) {
    return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1000);
  }

  @Override
  public void close() throws InterruptedException {
    client.shutdownNow();
    region.stop();
    arbiterServer.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }
}
