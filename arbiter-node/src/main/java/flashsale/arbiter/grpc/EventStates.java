package flashsale.arbiter.grpc;

import flashsale.sale.EventSpec;
import flashsale.v1.EventState;

/** Where an event stands at a given time. */
final class EventStates {
  private EventStates() {}

  static EventState of(EventSpec spec, boolean soldOut, long nowMicros) {
    if (soldOut) return EventState.EVENT_STATE_SOLD_OUT;
    if (nowMicros < spec.startMicros()) return EventState.EVENT_STATE_SCHEDULED;
    if (nowMicros >= spec.endMicros()) return EventState.EVENT_STATE_ENDED;
    return EventState.EVENT_STATE_OPEN;
  }
}
