package flashsale.store.redis;

import com.google.protobuf.InvalidProtocolBufferException;
import flashsale.sale.Decision;
import flashsale.v1.PurchaseDecision;
import flashsale.wire.WireMapping;

/**
 * Decisions as stored in Redis: the protobuf bytes of {@link PurchaseDecision}, which carry any
 * request id verbatim. The event id is left out because every key already names the event.
 */
final class DecisionCodec {
  private DecisionCodec() {}

  static byte[] encode(Decision decision) {
    return WireMapping.toProto(decision).toBuilder().clearEventId().build().toByteArray();
  }

  static Decision decode(String eventId, byte[] bytes) {
    if (bytes == null) {
      throw new IllegalStateException("event " + eventId + ": a logged request id has no stored decision");
    }
    try {
      return WireMapping.fromProto(PurchaseDecision.parseFrom(bytes).toBuilder().setEventId(eventId).build());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("event " + eventId + ": undecodable stored decision", e);
    }
  }
}
