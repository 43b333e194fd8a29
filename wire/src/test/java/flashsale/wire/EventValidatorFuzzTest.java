package flashsale.wire;

import flashsale.sale.ErrorReason;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.Timestamp;
import flashsale.sale.EventSpec;
import flashsale.store.StoreRules;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import flashsale.v1.ShardAllocation;
import flashsale.v1.Slot;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Coverage-guided fuzzing of the CreateEvent validator (Jazzer): whatever an event holds, it is
 * either refused INVALID_ARGUMENT INVALID_FIELD naming a field (or, a reservation in a mode that
 * cannot rank one, or an auction, FAILED_PRECONDITION MODE_NOT_SUPPORTED), or it maps to a spec both stores
 * accept. Anything else (an exception, a valid event the store refuses) is a finding. In {@code
 * ./mvnw verify} the module's {@code fuzz} run (a JVM of its own) replays the seeds, then fuzzes for maxDuration.
 */
class EventValidatorFuzzTest {
  @FuzzTest(maxDuration = "20s")
  void anEventIsInvalidArgumentOrStorable(FuzzedDataProvider data) {
    Event event = event(data);
    try {
      EventValidator.validateNew(event);
    } catch (StatusRuntimeException invalid) {
      if (invalid.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) {
        assertEquals(ErrorReason.MODE_NOT_SUPPORTED.name(), Errors.reasonOf(invalid).orElseThrow());
        boolean ranked = SlotRules.isReservation(event) || event.getKind() == flashsale.v1.EventKind.EVENT_KIND_AUCTION;
        assertEquals(true, ranked && (event.getMode() == EventMode.EVENT_MODE_SHARDED
            || event.getMode() == EventMode.EVENT_MODE_CENTRAL), invalid.getStatus().toString());
        return;
      }
      assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode(), invalid.getStatus().toString());
      var info = Errors.infoOf(invalid).orElseThrow(() -> new AssertionError("no ErrorInfo: " + invalid.getStatus()));
      assertEquals(ErrorReason.INVALID_FIELD.name(), info.getReason());
      assertEquals(true, info.getMetadataMap().get("field").startsWith("event."), info.toString());
      return;
    }
    EventSpec spec = WireMapping.fromProto(event, data.consumeLong());
    StoreRules.requireStorable(spec);
    assertEquals(event.getEventId(), spec.eventId());
    assertEquals(SlotRules.stockOf(event), spec.stock());
    assertEquals(event.getSlotsCount(), spec.slots().size());
  }

  private static Event event(FuzzedDataProvider data) {
    Event.Builder e = Event.newBuilder()
        .setEventId(data.consumeString(80))
        .setItem(data.consumeString(300))
        .setStock(data.pickValue(new long[] {0, 1, 10, EventValidator.MAX_STOCK, EventValidator.MAX_STOCK + 1, data.consumeLong()}))
        .setPerUserLimit(data.consumeInt(-2, 5))
        .setModeValue(data.consumeInt(0, 4)); // 4 is a mode this build does not know
    if (data.consumeBoolean()) e.setStartTime(timestamp(data));
    if (data.consumeBoolean()) e.setEndTime(timestamp(data));
    int regions = data.consumeInt(0, 4);
    for (int i = 0; i < regions; i++) e.addRegions(data.consumeBoolean() ? "r" + data.consumeInt(0, 3) : data.consumeString(70));
    int shards = data.consumeInt(0, 4);
    for (int i = 0; i < shards; i++) {
      ShardAllocation.Builder s = ShardAllocation.newBuilder().setRegion("r" + data.consumeInt(0, 4));
      if (data.consumeBoolean()) {
        s.setUnits(data.consumeLong(-5, 20));
      } else {
        s.setWeight(data.consumeInt(-5, 20));
      }
      e.addShardAllocations(s);
    }
    e.setKindValue(data.consumeInt(0, 4)); // 4 is a kind this build does not know
    int slots = data.consumeInt(0, 4);
    for (int i = 0; i < slots; i++) {
      e.addSlots(Slot.newBuilder().setName(data.consumeBoolean() ? "s" + data.consumeInt(0, 3) : data.consumeString(70))
          .setCapacity(data.pickValue(new long[] {-1, 0, 1, 5, EventValidator.MAX_STOCK, data.consumeLong()})));
    }
    if (data.consumeBoolean()) {
      e.setAuction(flashsale.v1.AuctionSettings.newBuilder().setUnits(data.consumeInt(-1, 3))
          .setReservePriceMinor(data.consumeLong(-1, 2_000)).setMinIncrementMinor(data.consumeLong(-1, 50))
          .setCurrencyCode(data.pickValue(new String[] {"EUR", "usd", "", "JPY"}))
          .setSoftCloseWindow(com.google.protobuf.Duration.newBuilder().setSeconds(data.consumeLong(-1, 120)))
          .setSoftCloseCap(com.google.protobuf.Duration.newBuilder().setSeconds(data.consumeLong(-1, 600))));
    }
    return e.build();
  }

  private static Timestamp timestamp(FuzzedDataProvider data) {
    return data.consumeBoolean()
        ? Timestamp.newBuilder().setSeconds(1_800_000_000L + data.consumeInt(-100, 100)).setNanos(data.consumeInt(0, 999_999_999)).build()
        : Timestamp.newBuilder().setSeconds(data.consumeLong()).setNanos(data.consumeInt()).build();
  }
}
