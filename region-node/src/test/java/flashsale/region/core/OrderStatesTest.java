package flashsale.region.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.orders.OrderRecord;
import flashsale.orders.PurchaseState;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OrderStatesTest {
  private final OrderStates states = new OrderStates(3);

  static OrderRecord order(String requestId, PurchaseState state, long deadlineMicros) {
    return new OrderRecord(requestId, "user-" + requestId, 1, 7, state, deadlineMicros);
  }

  @Test
  void anOrderOnlyMovesForwardWhicheverWayTheReportsCome() {
    long now = states.generation();
    assertTrue(states.report("e", order("r", PurchaseState.WAITLISTED, 0), now));
    assertTrue(states.report("e", order("r", PurchaseState.AWAITING_PAYMENT, 5_000), now), "promoted");
    assertFalse(states.report("e", order("r", PurchaseState.WAITLISTED, 0), now), "a late answer from before the promotion");
    assertEquals(PurchaseState.AWAITING_PAYMENT, states.find("e", "r").orElseThrow().state());
    assertTrue(states.report("e", order("r", PurchaseState.EXPIRED, 5_000), now));
    assertFalse(states.report("e", order("r", PurchaseState.AWAITING_PAYMENT, 5_000), now));
    assertFalse(states.report("e", order("r", PurchaseState.PAID, 5_000), now), "a final state is never replaced");
    assertEquals(order("r", PurchaseState.EXPIRED, 5_000), states.find("e", "r").orElseThrow());
  }

  @Test
  void aReconnectForgetsWhatCouldStillChangeAndAnAnswerAskedBeforeItIsNotKept() {
    long before = states.generation();
    states.report("e", order("waiting", PurchaseState.WAITLISTED, 0), before);
    states.report("e", order("owing", PurchaseState.AWAITING_PAYMENT, 9), before);
    states.report("e", order("paid", PurchaseState.PAID, 9), before);
    states.reconnected();
    assertEquals(Optional.empty(), states.find("e", "waiting"), "may have been promoted while no stream was up");
    assertEquals(Optional.empty(), states.find("e", "owing"), "may have expired meanwhile");
    assertEquals(PurchaseState.PAID, states.find("e", "paid").orElseThrow().state(), "final: kept");
    assertFalse(states.report("e", order("owing", PurchaseState.AWAITING_PAYMENT, 9), before),
        "asked before the reconnect: a change after it may have been missed");
    assertEquals(Optional.empty(), states.find("e", "owing"));
    assertTrue(states.report("e", order("owing", PurchaseState.AWAITING_PAYMENT, 9), states.generation()));
  }

  @Test
  void boundedLeastRecentlyUsedFirstAndWindowsAreKeptPerEvent() {
    long now = states.generation();
    for (String r : new String[] {"a", "b", "c"}) states.report("e", order(r, PurchaseState.AWAITING_PAYMENT, 1), now);
    states.find("e", "a");
    states.report("e", order("d", PurchaseState.AWAITING_PAYMENT, 1), now);
    assertEquals(3, states.size());
    assertEquals(Optional.empty(), states.find("e", "b"), "the least recently used went");
    assertTrue(states.find("e", "a").isPresent());
    assertEquals(Optional.of(true), states.paymentWindow("e"), "an order says the event has a window");
    assertEquals(Optional.empty(), states.paymentWindow("other"));
    states.paymentWindow("other", false);
    states.reconnected();
    assertEquals(Optional.of(false), states.paymentWindow("other"), "set at creation: kept across reconnects");
  }

  @Test
  void aLateOrderUpdateOfAnEventLetGoLeavesNoFlagBehindTheSweep() {
    states.paymentWindow("live", true);
    states.report("ended-long-ago", order("p", PurchaseState.PAID, 1), states.generation()); // paid after the sale
    states.forgetEventsUnless("live"::equals);
    assertEquals(Optional.empty(), states.paymentWindow("ended-long-ago"), "asked again if needed");
    assertEquals(Optional.of(true), states.paymentWindow("live"));
  }

  @Test
  void aFullWaitlistIsKnownAcrossReconnectsAndLetGoWithItsEvent() {
    assertTrue(states.waitlistFull("sold-out"), "new to this region");
    assertFalse(states.waitlistFull("sold-out"), "already known");
    states.reconnected();
    assertTrue(states.isWaitlistFull("sold-out"), "a fact for good: kept across reconnects");

    states.forgetEvent("sold-out");
    assertFalse(states.isWaitlistFull("sold-out"), "let go with its event");

    states.waitlistFull("ended-long-ago"); // pushed again by an order write after the event was let go
    states.paymentWindow("live", true);
    states.forgetEventsUnless("live"::equals);
    assertFalse(states.isWaitlistFull("ended-long-ago"), "the sweep takes it out again");
    assertEquals(Optional.of(true), states.paymentWindow("live"));
  }
}
