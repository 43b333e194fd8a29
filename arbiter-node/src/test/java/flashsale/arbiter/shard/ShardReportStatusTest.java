package flashsale.arbiter.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.credentials.Principal;
import flashsale.sale.ErrorReason;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.security.AuthInterceptor;
import flashsale.shard.ShardDemand;
import flashsale.store.memory.InMemoryShardStore;
import flashsale.v1.ReportShardRequest;
import flashsale.v1.ShardServiceGrpc;
import flashsale.wire.Errors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A region (or an operator reading its logs) learns from a refused shard report why: an event
 * that is not there, not SHARDED or not sold in the region is its caller's mistake; a shard this
 * arbiter cannot read, or a coordinator that is stopping, is worth a retry. Never UNKNOWN, never
 * a call left to its deadline.
 */
class ShardReportStatusTest {
  private static final EventSpec ABC = ShardCoordinatorBackoffTest.WITH_C;
  private static final EventSpec AB = ShardCoordinatorBackoffTest.WITHOUT_C;
  private static final EventSpec GLOBAL = new EventSpec("global", "shoes", 6, ShardCoordinatorBackoffTest.START,
      ShardCoordinatorBackoffTest.START + 3_600_000_000L, 2, List.of("a", "b"), SaleMode.GLOBAL_ORDER, 7, Map.of());
  private static final Map<String, EventSpec> EVENTS =
      Map.of(ABC.eventId(), ABC, AB.eventId(), AB, GLOBAL.eventId(), GLOBAL);

  private final AtomicInteger callsToC = new AtomicInteger();
  private ShardCoordinator coordinator;
  private Server server;
  private ManagedChannel channel;

  /** A coordinator with stores for {@code regions}; c's (when given) fails as ShardCoordinatorBackoffTest's does. */
  private ShardServiceGrpc.ShardServiceBlockingStub serve(List<String> regions) throws Exception {
    ShardOptions options = new ShardOptions(Map.of(), 3_600_000, 200, 60_000,
        b -> b.region().equals("c") ? new ShardCoordinatorBackoffTest.Failing(b, callsToC) : b);
    Map<String, InMemoryShardStore> stores = new java.util.HashMap<>();
    for (String region : regions) stores.put(region, new InMemoryShardStore());
    coordinator = new ShardCoordinator(options, stores, id -> {
      if (id.equals("unreadable")) throw new IllegalStateException("the store timed out reading event unreadable");
      return Optional.ofNullable(EVENTS.get(id));
    }, Clock.systemUTC());
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor()
        .addService(ServerInterceptors.intercept(new ShardGrpcService(coordinator),
            io.grpc.util.TransmitStatusRuntimeExceptionInterceptor.instance(), new AsAnyRegion())) // as the node wraps it
        .build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return ShardServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  /** The development principal, which may speak for any region (the interceptor is tested on its own). */
  private static final class AsAnyRegion implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      return Contexts.interceptCall(Context.current().withValue(AuthInterceptor.PRINCIPAL, Principal.DEVELOPMENT),
          call, headers, next);
    }
  }

  @AfterEach
  void stop() {
    if (channel != null) channel.shutdownNow();
    if (server != null) server.shutdownNow();
    if (coordinator != null) coordinator.close();
  }

  private static ReportShardRequest report(String eventId, String region) {
    return ReportShardRequest.newBuilder().setEventId(eventId).setRegion(region).setWaitingUnits(1).build();
  }

  private static void assertRefused(Status.Code code, ErrorReason reason, Runnable call) {
    var e = assertThrows(StatusRuntimeException.class, call::run);
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(reason.name(), Errors.reasonOf(e).orElse("<none>"), e.getStatus().toString());
  }

  @Test
  void aReportTheEventCannotTakeIsTheCallersMistakeAndSaysWhich() throws Exception {
    var shards = serve(List.of("a", "b"));
    assertRefused(Status.Code.NOT_FOUND, ErrorReason.EVENT_NOT_FOUND, () -> shards.reportShard(report("nope", "a")));
    assertRefused(Status.Code.FAILED_PRECONDITION, ErrorReason.MODE_NOT_SUPPORTED,
        () -> shards.reportShard(report("global", "a")));
    assertRefused(Status.Code.FAILED_PRECONDITION, ErrorReason.REGION_NOT_IN_EVENT,
        () -> shards.reportShard(report("without-c", "z")));
    assertEquals(6, shards.reportShard(report("without-c", "a")).getEventRemainingUnits(), "a good report is answered");
    assertRefused(Status.Code.INVALID_ARGUMENT, ErrorReason.INVALID_FIELD,
        () -> shards.reportShard(report("without-c", "a").toBuilder().setNodeId("no spaces").build()));
    assertEquals(6, shards.reportShard(report("without-c", "a").toBuilder().setNodeId("a-1").build())
        .getEventRemainingUnits(), "a report naming its node is answered");
  }

  @Test
  void aShardThisArbiterCannotReadIsUnavailableNotNotFound() throws Exception {
    var shards = serve(List.of("a", "b")); // no store for c
    assertRefused(Status.Code.UNAVAILABLE, ErrorReason.STORE_UNAVAILABLE, () -> shards.reportShard(report("with-c", "a")));
    coordinator.close();
    var stopped = serve(List.of("a", "b", "c")); // c's store fails every call
    assertRefused(Status.Code.UNAVAILABLE, ErrorReason.STORE_UNAVAILABLE, () -> stopped.reportShard(report("with-c", "a")));
    assertTrue(callsToC.get() >= 1, "c was asked");
  }

  @Test
  void anEventThatCannotBeReadIsUnavailableAtOnceNotAtTheDeadline() throws Exception {
    var shards = serve(List.of("a", "b"));
    long startNanos = System.nanoTime();
    assertRefused(Status.Code.UNAVAILABLE, ErrorReason.STORE_UNAVAILABLE, () -> shards.reportShard(report("unreadable", "a")));
    assertTrue(System.nanoTime() - startNanos < TimeUnit.SECONDS.toNanos(5), "answered, not left to the 10 s deadline");
  }

  @Test
  void aStoppedCoordinatorAnswersShuttingDownAndFailsTheReportsItHeld() throws Exception {
    var shards = serve(List.of("a", "b", "c"));
    var busy = coordinator.report("with-c", new ShardDemand("a", 0, 1, 0)); // holds the thread 200 ms on c
    var queued = coordinator.report("without-c", new ShardDemand("a", 0, 1, 0));
    coordinator.close();
    var failure = assertThrows(ExecutionException.class, () -> queued.get(1, TimeUnit.SECONDS),
        "a report queued behind the close fails at once");
    assertEquals(ErrorReason.SHUTTING_DOWN, assertInstanceOf(ShardCoordinator.Refused.class, failure.getCause()).reason());
    assertTrue(busy.isDone(), "the report under way is answered or failed too");
    assertRefused(Status.Code.UNAVAILABLE, ErrorReason.SHUTTING_DOWN, () -> shards.reportShard(report("without-c", "a")));
  }
}
