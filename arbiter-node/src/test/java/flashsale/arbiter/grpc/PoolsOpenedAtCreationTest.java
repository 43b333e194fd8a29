package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.ArbiterConfig;
import flashsale.arbiter.ArbiterNode;
import flashsale.arbiter.shard.ShardOptions;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.store.testing.RedisServerExtension;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventAdminServiceGrpc.EventAdminServiceBlockingStub;
import flashsale.v1.EventMode;
import flashsale.v1.ShardAllocation;
import flashsale.wire.Errors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.lettuce.core.RedisClient;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * CreateEvent of a CENTRAL or SHARDED event opens its pools in the real Redis stores the arbiter
 * is given, once it stored the event and before any region hears of it: what an operator sees in Redis and in the answer, and the
 * exact status when a store is missing or does not answer (nothing stored then).
 */
class PoolsOpenedAtCreationTest {
  @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();

  private final InMemoryArbiterStore store = new InMemoryArbiterStore();

  @Test
  void centralAndShardedEventsAreCreatedWithTheirPoolsOpenAtTheirUnits() throws Exception {
    withArbiter(REDIS.uri(), Map.of("beijing", REDIS.uri(), "shanghai", REDIS.uri()), admin -> {
      var central = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("c")
          .setEvent(EventAdminGrpcServiceTest.validEvent().setEventId("central-1").setMode(EventMode.EVENT_MODE_CENTRAL))
          .build()).getEvent();
      assertEquals(EventMode.EVENT_MODE_CENTRAL, central.getMode());
      assertEquals(0, central.getShardAllocationsCount());
      assertTrue(central.getPoolsOpenedAtCreation());

      var equal = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("s1")
          .setEvent(EventAdminGrpcServiceTest.validEvent().setEventId("sharded-equal").setStock(11)
              .setMode(EventMode.EVENT_MODE_SHARDED)).build()).getEvent();
      assertEquals(List.of(6L, 5L), equal.getShardAllocationsList().stream().map(ShardAllocation::getUnits).toList());

      var weighted = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("s2")
          .setEvent(EventAdminGrpcServiceTest.validEvent().setEventId("sharded-weights").setStock(10)
              .setMode(EventMode.EVENT_MODE_SHARDED)
              .addShardAllocations(ShardAllocation.newBuilder().setRegion("beijing").setWeight(3))
              .addShardAllocations(ShardAllocation.newBuilder().setRegion("shanghai").setWeight(1))).build())
          .getEvent();
      assertEquals(List.of(8L, 2L), weighted.getShardAllocationsList().stream().map(ShardAllocation::getUnits).toList());
      assertTrue(weighted.getPoolsOpenedAtCreation());

      try (RedisClient client = RedisClient.create(REDIS.uri()); var c = client.connect()) {
        assertEquals("10", c.sync().hget("fs:{central-1}:central", "remaining"));
        assertEquals("8", c.sync().hget("fs:{sharded-weights}:shard:beijing", "remaining"));
        assertEquals("2", c.sync().hget("fs:{sharded-weights}:shard:shanghai", "remaining"));
      }
      var view = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("sharded-weights").build());
      assertTrue(view.getEvent().getPoolsOpenedAtCreation(), "GetEvent says so too");
      assertEquals(10, view.getCounters().getRemainingStock());
    });
  }

  @Test
  void aClientCannotSayThePoolsWereOpenedNorWhereThereAreNone() throws Exception {
    withArbiter(REDIS.uri(), Map.of(), admin -> {
      var event = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("g")
          .setEvent(EventAdminGrpcServiceTest.validEvent().setEventId("global-1").setPoolsOpenedAtCreation(true))
          .build()).getEvent();
      assertEquals(false, event.getPoolsOpenedAtCreation(), "a GLOBAL_ORDER event has no pools");
    });
  }

  @Test
  void aPoolStoreThatDoesNotAnswerRefusesTheCreateUnavailableAndKeepsTheEventOffSale() throws Exception {
    int closedPort;
    try (var socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    withArbiter("redis://127.0.0.1:" + closedPort, Map.of(), admin -> {
      var e = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
          .setRequestId("c").setEvent(EventAdminGrpcServiceTest.validEvent().setEventId("central-down")
              .setMode(EventMode.EVENT_MODE_CENTRAL)).build()));
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      assertEquals("STORE_UNAVAILABLE", Errors.reasonOf(e).orElseThrow());
      assertTrue(e.getStatus().getDescription().contains("retry with the same request_id"), e.toString());
      assertTrue(store.findEvent("central-down").isPresent(), "stored");
      assertEquals(false, store.poolsOpened("central-down"), "not on sale");
    });
  }

  @Test
  void aShardedEventNeedsEveryOneOfItsRegionsShardStores() throws Exception {
    withArbiter(REDIS.uri(), Map.of("beijing", REDIS.uri()), admin -> {
      var e = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
          .setRequestId("s").setEvent(EventAdminGrpcServiceTest.validEvent().setEventId("sharded-half")
              .setMode(EventMode.EVENT_MODE_SHARDED)).build()));
      assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
      assertEquals("MODE_NOT_SUPPORTED", Errors.reasonOf(e).orElseThrow());
      assertTrue(e.getStatus().getDescription().contains("[shanghai]"), e.toString());
      assertEquals(Optional.empty(), store.findEvent("sharded-half"));
      try (RedisClient client = RedisClient.create(REDIS.uri()); var c = client.connect()) {
        assertEquals(List.of(), c.sync().keys("fs:{sharded-half}:*"), "no shard opened either");
      }
    });
  }

  @Test
  void aStrayPoolUnderTheEventsIdWithOtherUnitsIsRefusedAlreadyExistsAndLeftAlone() throws Exception {
    try (RedisClient client = RedisClient.create(REDIS.uri()); var c = client.connect()) {
      c.sync().hset("fs:{central-stray}:central", Map.of("initial", "3", "remaining", "3", "sold", "0",
          "last_rank", "0", "wins", "0"));
    }
    withArbiter(REDIS.uri(), Map.of(), admin -> {
      Event.Builder event = EventAdminGrpcServiceTest.validEvent().setEventId("central-stray")
          .setMode(EventMode.EVENT_MODE_CENTRAL);
      var e = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
          .setRequestId("c").setEvent(event).build()));
      assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode(), e.toString());
      assertEquals("EVENT_EXISTS", Errors.reasonOf(e).orElseThrow());
      assertEquals(false, store.poolsOpened("central-stray"), "not on sale");
      try (RedisClient client = RedisClient.create(REDIS.uri()); var c = client.connect()) {
        assertEquals("3", c.sync().hget("fs:{central-stray}:central", "initial"), "left as it was");
        c.sync().del("fs:{central-stray}:central"); // the operator removes the stray pool
      }
      assertTrue(admin.createEvent(CreateEventRequest.newBuilder().setRequestId("c").setEvent(event).build())
          .getEvent().getPoolsOpenedAtCreation(), "the retry opens the event's own pool");
    });
  }

  @Test
  void retriesOfACreateWhosePoolStoreIsDownAreNotChargedAgainstTheAdminsQuota() throws Exception {
    int closedPort;
    try (var socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    // One create a minute: each retry charged anew would be answered RESOURCE_EXHAUSTED.
    withArbiter(ArbiterConfig.defaults().withAdminEventQuota(1, 1), "redis://127.0.0.1:" + closedPort, Map.of(), admin -> {
      var create = CreateEventRequest.newBuilder().setRequestId("c").setEvent(EventAdminGrpcServiceTest.validEvent()
          .setEventId("central-retried").setMode(EventMode.EVENT_MODE_CENTRAL)).build(); // the same request each time
      for (int attempt = 1; attempt <= 3; attempt++) {
        var e = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(create));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "attempt " + attempt + ": " + e);
      }
    });
  }

  @Test
  void anEventWhoseSaleIsOverIsLetGoWithoutOpeningItsPools() throws Exception {
    long nowMicros = System.currentTimeMillis() * 1000;
    var ended = flashsale.wire.WireMapping.fromProto(EventAdminGrpcServiceTest.validEvent().setEventId("central-ended")
        .setMode(EventMode.EVENT_MODE_CENTRAL).setStartTime(flashsale.wire.Times.timestamp(nowMicros - 7_200_000_000L))
        .setEndTime(flashsale.wire.Times.timestamp(nowMicros - 3_600_000_000L)).build(), 7).withPoolsOpenedAtCreation(true);
    store.createEvent("made-before", ended); // stored, its pools never opened (the pool store was down then)
    withArbiter(REDIS.uri(), Map.of(), admin -> {
      long until = System.nanoTime() + 5_000_000_000L; // it leaves the live index off the loop thread
      while (!store.listLiveEvents().isEmpty() && System.nanoTime() < until) Thread.onSpinWait();
      assertEquals(List.of(), store.listLiveEvents(), "finished on recovery, not left live for every leader to retry");
      assertEquals(false, store.poolsOpened("central-ended"));
    });
  }

  private void withArbiter(String centralUri, Map<String, String> shardUris, Consumer<EventAdminServiceBlockingStub> test)
      throws Exception {
    withArbiter(ArbiterConfig.defaults(), centralUri, shardUris, test);
  }

  private void withArbiter(ArbiterConfig config, String centralUri, Map<String, String> shardUris,
      Consumer<EventAdminServiceBlockingStub> test) throws Exception {
    String name = InProcessServerBuilder.generateName();
    ArbiterNode node = new ArbiterNode(config.withCentralRedis(centralUri),
        InProcessServerBuilder.forName(name).directExecutor(), store, Clock.systemUTC(), ShardOptions.of(shardUris))
        .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      test.accept(EventAdminServiceGrpc.newBlockingStub(channel));
    } finally {
      channel.shutdownNow();
      node.stop();
    }
  }
}
