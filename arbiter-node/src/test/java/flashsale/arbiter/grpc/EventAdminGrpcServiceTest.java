package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.ArbiterConfig;
import flashsale.arbiter.ArbiterNode;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.ShardAllocation;
import flashsale.v1.EventState;
import flashsale.v1.ListDecisionsRequest;
import flashsale.wire.Errors;
import flashsale.wire.Times;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The operator API over an in-process gRPC server: exact status codes and idempotent creates. */
class EventAdminGrpcServiceTest {
  private ArbiterNode node;
  private final InMemoryArbiterStore store = new InMemoryArbiterStore();
  private ManagedChannel channel;
  private EventAdminServiceGrpc.EventAdminServiceBlockingStub admin;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    node =
        new ArbiterNode(
                ArbiterConfig.defaults(),
                InProcessServerBuilder.forName(name).directExecutor(),
                store,
                Clock.systemUTC())
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    admin = EventAdminServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    node.stop();
  }

  /** /readyz reads this: an arbiter that stops gives its lease up, and says it leads no more at once. */
  @Test
  void aStoppedArbiterNoLongerSaysItLeads() {
    org.junit.jupiter.api.Assertions.assertTrue(node.leading(), "a lone arbiter leads once started");
    node.stop();
    org.junit.jupiter.api.Assertions.assertFalse(node.leading());
  }

  static Event.Builder validEvent() {
    long now = System.currentTimeMillis() * 1000;
    return Event.newBuilder()
        .setEventId("shoes-1")
        .setItem("limited shoes")
        .setStock(10)
        .setStartTime(Times.timestamp(now))
        .setEndTime(Times.timestamp(now + 60_000_000L))
        .setPerUserLimit(1)
        .addRegions("beijing")
        .addRegions("shanghai")
        .setMode(EventMode.EVENT_MODE_GLOBAL_ORDER);
  }

  private StatusRuntimeException createFails(String requestId, UnaryOperator<Event.Builder> edit) {
    return assertThrows(
        StatusRuntimeException.class,
        () ->
            admin.createEvent(
                CreateEventRequest.newBuilder().setRequestId(requestId).setEvent(edit.apply(validEvent())).build()));
  }

  private static void assertStatus(Status.Code code, String reason, StatusRuntimeException e) {
    assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
    assertEquals(reason, Errors.reasonOf(e).orElse("<none>"), e.getStatus().toString());
  }

  @Test
  void createIsIdempotentByRequestId() {
    var request = CreateEventRequest.newBuilder().setRequestId("req-1").setEvent(validEvent()).build();
    Event first = admin.createEvent(request).getEvent();
    Event again = admin.createEvent(request).getEvent();
    assertEquals(first, again);
    var view = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("shoes-1").build());
    assertEquals(10, view.getCounters().getRemainingStock());
    assertEquals(EventState.EVENT_STATE_OPEN, view.getState());
  }

  @Test
  void theLotterySeedIsCommittedAtCreationAndRevealedOnlyOnceTheEventEnds() throws Exception {
    long now = System.currentTimeMillis() * 1000;
    var created = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("create-lottery")
        .setEvent(validEvent().setEventId("lottery").setEndTime(Times.timestamp(now + 1_000_000))).build());
    String commitment = created.getLottery().getCommitmentSha256();
    assertTrue(commitment.matches("[0-9a-f]{64}"), commitment);
    assertEquals("", created.getLottery().getSeed(), "the seed stays secret while the event runs");
    var running = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("lottery").build());
    assertEquals(commitment, running.getLottery().getCommitmentSha256());
    assertEquals("", running.getLottery().getSeed());
    Thread.sleep(1_100); // past end_time
    var ended = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("lottery").build());
    String seed = ended.getLottery().getSeed();
    assertTrue(seed.matches("[0-9a-f]{16}"), seed);
    // Anyone can check the revealed seed against what was published at creation.
    String recomputed = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(("flashsale-lottery-v1:lottery:" + seed).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    assertEquals(commitment, recomputed);
  }

  @Test
  void sameEventIdFromAnotherRequestIsAlreadyExists() {
    admin.createEvent(CreateEventRequest.newBuilder().setRequestId("req-1").setEvent(validEvent()).build());
    assertStatus(Status.Code.ALREADY_EXISTS, "EVENT_EXISTS", createFails("req-2", e -> e));
  }

  @Test
  void aReusedRequestIdWithOtherContentIsRequestIdReusedAndCreatesNothing() {
    Event first = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("req-1").setEvent(validEvent()).build())
        .getEvent();
    assertStatus(Status.Code.ALREADY_EXISTS, "REQUEST_ID_REUSED", createFails("req-1", e -> e.setStock(99)));
    assertStatus(Status.Code.ALREADY_EXISTS, "REQUEST_ID_REUSED", createFails("req-1", e -> e.setEventId("shoes-2")));
    var view = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("shoes-1").build());
    assertEquals(first, view.getEvent());
    assertStatus(Status.Code.NOT_FOUND, "EVENT_NOT_FOUND", assertThrows(StatusRuntimeException.class,
        () -> admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("shoes-2").build())));
  }

  @Test
  void aRetryWithOtherPaymentTermsOrNoneIsRequestIdReused() {
    var withTerms = CreateEventRequest.newBuilder().setRequestId("req-1").setEvent(validEvent())
        .setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(60)).setWaitlistBound(4).build();
    Event first = admin.createEvent(withTerms).getEvent();
    assertEquals(first, admin.createEvent(withTerms).getEvent(), "an identical retry");
    assertStatus(Status.Code.ALREADY_EXISTS, "REQUEST_ID_REUSED", assertThrows(StatusRuntimeException.class,
        () -> admin.createEvent(withTerms.toBuilder().setWaitlistBound(5).build())));
    assertStatus(Status.Code.ALREADY_EXISTS, "REQUEST_ID_REUSED", assertThrows(StatusRuntimeException.class,
        () -> admin.createEvent(withTerms.toBuilder().clearPaymentWindow().clearWaitlistBound().build())));
    var plain = CreateEventRequest.newBuilder().setRequestId("req-2").setEvent(validEvent().setEventId("hats")).build();
    admin.createEvent(plain);
    assertStatus(Status.Code.ALREADY_EXISTS, "REQUEST_ID_REUSED", assertThrows(StatusRuntimeException.class,
        () -> admin.createEvent(plain.toBuilder().setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(60))
            .build())));
    var view = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("shoes-1").build());
    assertEquals(4, view.getPaymentTerms().getWaitlistBound(), "the first call's terms stand");
    assertFalse(admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("hats").build())
        .hasPaymentTerms(), "no terms were attached to the plain event");
  }

  @Test
  void aWaitlistBoundBeyondTheCapIsInvalidArgument() {
    var request = CreateEventRequest.newBuilder().setRequestId("req-w").setEvent(validEvent())
        .setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(60));
    StatusRuntimeException huge = assertThrows(StatusRuntimeException.class,
        () -> admin.createEvent(request.setWaitlistBound(1_000_000_000_000L).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", huge);
    assertTrue(huge.getStatus().getDescription().contains("waitlist_bound"), huge.getStatus().getDescription());
    assertThrows(StatusRuntimeException.class, () -> admin.getEvent(
        EventAdminServiceGetEventRequest.newBuilder().setEventId("shoes-1").build()), "nothing was created");
    admin.createEvent(request.setWaitlistBound(1_000_000).build());
    assertEquals(1_000_000, admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("shoes-1").build())
        .getPaymentTerms().getWaitlistBound(), "the cap itself is allowed");
  }

  @Test
  void eachInvalidFieldIsInvalidArgument() {
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("", e -> e));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setEventId("")));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setEventId("a{b}")));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setItem("")));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setStock(0)));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setStock(-5)));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.clearStartTime()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setEndTime(e.getStartTime())));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setPerUserLimit(0)));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.clearRegions()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.addRegions("beijing")));
    // A colon would let region x:users share pool keys with region x.
    var colon = createFails("r", e -> e.clearRegions().addRegions("x").addRegions("x:users"));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", colon);
    assertTrue(colon.getStatus().getDescription().contains("[A-Za-z0-9._-]"), colon.getStatus().getDescription());
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setMode(EventMode.EVENT_MODE_UNSPECIFIED)));
    assertStatus(
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD",
        createFails("r", e -> e.setStartTime(Times.timestamp(1_000_000)).setEndTime(Times.timestamp(2_000_000))));
    // the node still serves after all that
    admin.createEvent(CreateEventRequest.newBuilder().setRequestId("ok").setEvent(validEvent()).build());
  }

  @Test
  void badShardAllocationsAreInvalidArgument() {
    UnaryOperator<Event.Builder> sharded = e -> e.setMode(EventMode.EVENT_MODE_SHARDED);
    var units = ShardAllocation.newBuilder().setRegion("beijing").setUnits(4);
    var rest = ShardAllocation.newBuilder().setRegion("shanghai").setUnits(6);
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD",
        createFails("r", e -> sharded.apply(e).addShardAllocations(units).addShardAllocations(rest.setUnits(5))));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD",
        createFails("r", e -> sharded.apply(e).addShardAllocations(units)));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD",
        createFails("r", e -> sharded.apply(e).addShardAllocations(units).addShardAllocations(units)));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD",
        createFails("r", e -> sharded.apply(e).addShardAllocations(units.clone().setRegion("tokyo"))));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD",
        createFails("r", e -> e.setMode(EventMode.EVENT_MODE_CENTRAL).addShardAllocations(units)));
  }

  @Test
  void unknownEventIsNotFound() {
    var e =
        assertThrows(
            StatusRuntimeException.class,
            () -> admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("nope").build()));
    assertStatus(Status.Code.NOT_FOUND, "EVENT_NOT_FOUND", e);
  }

  @Test
  void badPageRequestsAreInvalidArgument() {
    admin.createEvent(CreateEventRequest.newBuilder().setRequestId("req-1").setEvent(validEvent()).build());
    var badToken =
        assertThrows(
            StatusRuntimeException.class,
            () -> admin.listDecisions(ListDecisionsRequest.newBuilder().setEventId("shoes-1").setPageToken("x").build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", badToken);
    var badSize =
        assertThrows(
            StatusRuntimeException.class,
            () -> admin.listDecisions(ListDecisionsRequest.newBuilder().setEventId("shoes-1").setPageSize(5000).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", badSize);
    assertEquals(0, admin.listDecisions(ListDecisionsRequest.newBuilder().setEventId("shoes-1").build()).getDecisionsCount());
  }

  @Test
  void timestampsOutsideProtobufsRangeAreInvalidArgumentNotACrash() {
    var farFuture = com.google.protobuf.Timestamp.newBuilder().setSeconds(Long.MAX_VALUE / 10).build();
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", createFails("r", e -> e.setEndTime(farFuture)));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD",
        createFails("r", e -> e.setStartTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(0).setNanos(-1))));
  }

  @Test
  void aStoreOutageIsUnavailableSoClientsRetry() throws Exception {
    String name = InProcessServerBuilder.generateName();
    var memory = new InMemoryArbiterStore();
    var broken =
        (flashsale.store.ArbiterStore)
            java.lang.reflect.Proxy.newProxyInstance(
                getClass().getClassLoader(),
                new Class<?>[] {flashsale.store.ArbiterStore.class},
                (proxy, method, args) -> {
                  if (method.getName().equals("createEvent")) throw new io.lettuce.core.RedisConnectionException("connection refused");
                  return method.invoke(memory, args);
                });
    var down = new ArbiterNode(ArbiterConfig.defaults(), InProcessServerBuilder.forName(name).directExecutor(), broken, Clock.systemUTC()).start();
    var downChannel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      var e =
          assertThrows(
              StatusRuntimeException.class,
              () -> EventAdminServiceGrpc.newBlockingStub(downChannel)
                  .createEvent(CreateEventRequest.newBuilder().setRequestId("r").setEvent(validEvent()).build()));
      assertStatus(Status.Code.UNAVAILABLE, "STORE_UNAVAILABLE", e);
    } finally {
      downChannel.shutdownNow();
      down.stop();
    }
  }

  private static Event.Builder auctionEvent(String eventId, flashsale.v1.AuctionSettings.Builder settings) {
    return validEvent().setEventId(eventId).setKind(flashsale.v1.EventKind.EVENT_KIND_AUCTION).setStock(0)
        .clearPerUserLimit().setAuction(settings);
  }

  private static flashsale.v1.AuctionSettings.Builder auctionSettings() {
    return flashsale.v1.AuctionSettings.newBuilder().setUnits(2).setReservePriceMinor(1_000).setMinIncrementMinor(50)
        .setCurrencyCode("EUR");
  }

  @Test
  void aGlobalOrderAuctionIsCreatedAndShowsItsCloseWithNoBidStandingYet() {
    Event created = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("a-1")
        .setEvent(auctionEvent("auction-1", auctionSettings())).build()).getEvent();
    assertEquals(flashsale.v1.EventKind.EVENT_KIND_AUCTION, created.getKind());
    assertEquals(2, created.getStock(), "the stock is the units auctioned");
    var got = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("auction-1").build());
    assertEquals(false, got.getAuction().getClosed());
    assertEquals(created.getEndTime(), got.getAuction().getCloseTime());
    assertEquals(0, got.getAuction().getWinningBidsCount());
  }

  @Test
  void auctionsOutsideGlobalOrderAreFailedPreconditionsAndBadSettingsNameTheirField() {
    for (EventMode mode : List.of(EventMode.EVENT_MODE_SHARDED, EventMode.EVENT_MODE_CENTRAL)) {
      var refused = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
          .setRequestId("auction-" + mode.getNumber()).setEvent(auctionEvent("auction-" + mode.getNumber(), auctionSettings())
              .setMode(mode)).build()));
      assertStatus(Status.Code.FAILED_PRECONDITION, "MODE_NOT_SUPPORTED", refused);
      assertTrue(refused.getStatus().getDescription().contains("EVENT_MODE_GLOBAL_ORDER only"), refused.toString());
    }
    record Bad(String field, UnaryOperator<Event.Builder> edit) {}
    List<Bad> bads = List.of(
        new Bad("event.auction", e -> e.clearAuction()),
        new Bad("event.auction.currency_code", e -> e.setAuction(auctionSettings().setCurrencyCode("euro"))),
        new Bad("event.auction.reserve_price_minor", e -> e.setAuction(auctionSettings().setReservePriceMinor(-1))),
        new Bad("event.auction.min_increment_minor", e -> e.setAuction(auctionSettings().setMinIncrementMinor(0))),
        new Bad("event.auction.units", e -> e.setAuction(auctionSettings().setUnits(-2))),
        new Bad("event.stock", e -> e.setStock(3)));
    for (Bad bad : bads) {
      var refused = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
          .setRequestId("bad-" + bad.field()).setEvent(bad.edit().apply(auctionEvent("bad", auctionSettings()))).build()));
      assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", refused);
      assertEquals(bad.field(), Errors.infoOf(refused).orElseThrow().getMetadataOrThrow("field"));
    }
    assertThrows(StatusRuntimeException.class,
        () -> admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("bad").build()), "nothing stored");
  }

  @Test
  void aSoftCloseAuctionPastItsEndReadsOpenUntilTheCloseItsBidsMoved() {
    long nowMicros = System.currentTimeMillis() * 1000;
    long endMicros = nowMicros - 10_000_000;
    var spec = flashsale.sale.EventSpec.auction("soft", "painting",
        new flashsale.sale.AuctionRules(1, 1_000, 50, "EUR", 30_000_000, 600_000_000), endMicros - 60_000_000, endMicros,
        List.of("beijing", "shanghai"), 7);
    store.createEvent("create-soft", spec);
    // An accepted bid stamped within the window moved the close; later ones moved it to a minute from now.
    long movedCloseMicros = nowMicros + 60_000_000;
    var bid = flashsale.sale.Ticket.bid("soft", "b1", "alice", 1_200, "beijing", endMicros - 1_000_000, 0);
    store.persistBatch(new flashsale.sale.DecisionBatch("soft", 1, List.of(flashsale.sale.Decision.ofBid(bid,
        new flashsale.sale.BidVerdict(flashsale.sale.BidAnswer.ACCEPTED, 0, movedCloseMicros), 1, endMicros, false)),
        java.util.Optional.of(flashsale.sale.EventHead.Released.of(bid)),
        java.util.Optional.of(new flashsale.sale.AuctionStanding(movedCloseMicros, List.of(bid), false)))).join();

    var got = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("soft").build());
    assertEquals(Times.timestamp(movedCloseMicros), got.getAuction().getCloseTime());
    assertEquals(EventState.EVENT_STATE_OPEN, got.getState(), "past end_time, before the moved close: still taking bids");
  }

  @Test
  void anAuctionWithAPerUserLimitIsRefusedSinceBidsHaveNone() {
    // Two units: a limit of 1 would read as "one each", and one user's two standing bids both win.
    var refused = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
        .setRequestId("limited").setEvent(auctionEvent("limited", auctionSettings()).setPerUserLimit(1)).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", refused);
    assertEquals("event.per_user_limit", Errors.infoOf(refused).orElseThrow().getMetadataOrThrow("field"));
    assertTrue(refused.getStatus().getDescription().contains("bids have no per-user limit"), refused.toString());
    assertThrows(StatusRuntimeException.class,
        () -> admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("limited").build()), "nothing stored");

    Event created = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("unlimited")
        .setEvent(auctionEvent("unlimited", auctionSettings())).build()).getEvent();
    assertEquals(0, created.getPerUserLimit(), "shown unset, as created");
    var got = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("unlimited").build());
    assertEquals(0, got.getEvent().getPerUserLimit());
  }

  @Test
  void anAuctionOfMoreUnitsThanItsRepliesCanCarryIsRefusedAndOneAtTheBoundIsCreated() {
    int bound = flashsale.sale.AuctionRules.MAX_UNITS;
    var refused = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
        .setRequestId("too-many").setEvent(auctionEvent("too-many", auctionSettings().setUnits(bound + 1))).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", refused);
    assertEquals("event.auction.units", Errors.infoOf(refused).orElseThrow().getMetadataOrThrow("field"));
    assertTrue(refused.getStatus().getDescription().contains("between 1 and " + bound + ", got " + (bound + 1)),
        refused.toString());
    assertThrows(StatusRuntimeException.class,
        () -> admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("too-many").build()), "nothing stored");

    Event atBound = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("at-bound")
        .setEvent(auctionEvent("at-bound", auctionSettings().setUnits(bound))).build()).getEvent();
    assertEquals(bound, atBound.getAuction().getUnits());
  }

  @Test
  void aSoftCloseWindowWithoutACapIsRefusedRatherThanSilentlyIgnored() {
    var window = com.google.protobuf.Duration.newBuilder().setSeconds(30);
    // The close moves to end_time + cap at most: with no cap the window would never move it.
    var refused = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
        .setRequestId("window-only").setEvent(auctionEvent("window-only", auctionSettings().setSoftCloseWindow(window)))
        .build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", refused);
    assertEquals("event.auction.soft_close_cap", Errors.infoOf(refused).orElseThrow().getMetadataOrThrow("field"));
    assertTrue(refused.getStatus().getDescription().contains("a soft_close_window needs a cap"), refused.toString());
    assertThrows(StatusRuntimeException.class,
        () -> admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("window-only").build()), "nothing stored");

    var capOnly = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
        .setRequestId("cap-only").setEvent(auctionEvent("cap-only", auctionSettings().setSoftCloseCap(window))).build()));
    assertStatus(Status.Code.INVALID_ARGUMENT, "INVALID_FIELD", capOnly);
    assertEquals("event.auction.soft_close_cap", Errors.infoOf(capOnly).orElseThrow().getMetadataOrThrow("field"));

    Event both = admin.createEvent(CreateEventRequest.newBuilder().setRequestId("window-and-cap").setEvent(
        auctionEvent("window-and-cap", auctionSettings().setSoftCloseWindow(window)
            .setSoftCloseCap(com.google.protobuf.Duration.newBuilder().setSeconds(300)))).build()).getEvent();
    assertEquals(30, both.getAuction().getSoftCloseWindow().getSeconds());
    assertEquals(300, both.getAuction().getSoftCloseCap().getSeconds());
  }

  @Test
  void poolModesWithoutTheirStoresAreRefusedRatherThanCountedWrong() {
    for (EventMode mode : List.of(EventMode.EVENT_MODE_CENTRAL, EventMode.EVENT_MODE_SHARDED)) {
      String eventId = "pool-" + mode.getNumber();
      // This arbiter has no pool store to open the event's pools in: nothing is created.
      var create = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(CreateEventRequest.newBuilder()
          .setRequestId(eventId).setEvent(validEvent().setEventId(eventId).setMode(mode)).build()));
      assertStatus(Status.Code.FAILED_PRECONDITION, "MODE_NOT_SUPPORTED", create);
      assertEquals(java.util.Optional.empty(), store.findEvent(eventId), "nothing stored");
      // One stored by another arbiter (or an earlier build) is not counted from the sequencer's empty numbers.
      store.createEvent(eventId, flashsale.wire.WireMapping.fromProto(validEvent().setEventId(eventId).setMode(mode)
          .build(), 7));
      var counters = assertThrows(StatusRuntimeException.class,
          () -> admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId(eventId).build()));
      assertStatus(Status.Code.FAILED_PRECONDITION, "MODE_NOT_SUPPORTED", counters);
      var log = assertThrows(StatusRuntimeException.class,
          () -> admin.listDecisions(ListDecisionsRequest.newBuilder().setEventId(eventId).build()));
      assertStatus(Status.Code.FAILED_PRECONDITION, "MODE_NOT_SUPPORTED", log);
      assertEquals(mode.name().substring("EVENT_MODE_".length()),
          Errors.infoOf(log).orElseThrow().getMetadataOrThrow("mode"));
    }
  }

  @Test
  void anEventInTheStoreButNotYetSequencedHereIsFoundAndSequencedOnLookup() {
    // as after a missed index entry, or an event a deposed leader created during a takeover
    var spec = flashsale.wire.WireMapping.fromProto(validEvent().setEventId("late-event").build(), 7);
    store.createEvent("made-elsewhere", spec);
    var looked =
        flashsale.v1.SequencerServiceGrpc.newBlockingStub(channel)
            .lookupEvent(flashsale.v1.LookupEventRequest.newBuilder().setEventId("late-event").build());
    assertEquals("late-event", looked.getEvent().getEventId());
    var view = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("late-event").build());
    assertEquals(10, view.getCounters().getRemainingStock(), "sequenced, with its counters");
  }

  @Test
  void aFinishedEventIsServedReadOnlyFromTheStore() {
    long now = System.currentTimeMillis() * 1000;
    var spec = new flashsale.sale.EventSpec("sold-2025", "old shoes", 2, now - 7_200_000_000L, now - 3_600_000_000L, 1,
        List.of("beijing"), flashsale.sale.SaleMode.GLOBAL_ORDER, 9);
    store.createEvent("create-old", spec);
    var won = new flashsale.sale.Decision(new flashsale.sale.Ticket("sold-2025", "r1", "u1", 1, "beijing", spec.startMicros() + 1),
        flashsale.sale.Outcome.WON, flashsale.sale.LossReason.NONE, 1, spec.startMicros() + 5, false);
    var lost = new flashsale.sale.Decision(new flashsale.sale.Ticket("sold-2025", "r2", "u2", 9, "beijing", spec.startMicros() + 2),
        flashsale.sale.Outcome.LOST, flashsale.sale.LossReason.INSUFFICIENT_STOCK, 2, spec.startMicros() + 5, false);
    store.persistBatch(new flashsale.sale.DecisionBatch("sold-2025", 1, List.of(won, lost))).join();

    var got = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId("sold-2025").build());
    assertEquals(EventState.EVENT_STATE_ENDED, got.getState());
    assertEquals(2, got.getCounters().getDecisions());
    assertEquals(1, got.getCounters().getWins());
    assertEquals(1, got.getCounters().getRemainingStock());
    assertEquals(2, admin.listDecisions(ListDecisionsRequest.newBuilder().setEventId("sold-2025").build()).getDecisionsCount());
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (!store.listLiveEvents().isEmpty() && System.nanoTime() < deadline) Thread.onSpinWait();
    assertEquals(List.of(), store.listLiveEvents(), "an ended event leaves the live index instead of being sequenced");
  }
}
