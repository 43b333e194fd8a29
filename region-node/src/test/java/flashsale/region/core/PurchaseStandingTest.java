package flashsale.region.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.orders.OrderRecord;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PurchaseStandingTest {
  static final Ticket TICKET = new Ticket("e", "r", "alice", 1, "eu", 1_000);

  static Decision decision(Outcome outcome, LossReason reason) {
    return new Decision(TICKET, outcome, reason, 3, 1_100, false);
  }

  static Optional<OrderRecord> order(PurchaseState state) {
    return Optional.of(new OrderRecord("r", "alice", 1, 3, state, state == PurchaseState.WAITLISTED ? 0 : 9_000));
  }

  @Test
  void withoutAPaymentWindowEveryDecisionIsSettled() {
    assertTrue(PurchaseStanding.decided(decision(Outcome.WON, LossReason.NONE)).settled());
    assertTrue(PurchaseStanding.decided(decision(Outcome.LOST, LossReason.SOLD_OUT)).settled());
  }

  @Test
  void withAWindowOnlyAFinalOrderOrALossThatNeverWaitsIsSettled() {
    Decision won = decision(Outcome.WON, LossReason.NONE);
    Decision soldOut = decision(Outcome.LOST, LossReason.SOLD_OUT);
    assertFalse(new PurchaseStanding(won, true, order(PurchaseState.AWAITING_PAYMENT)).settled());
    assertFalse(new PurchaseStanding(soldOut, true, order(PurchaseState.WAITLISTED)).settled());
    for (PurchaseState last : new PurchaseState[] {PurchaseState.PAID, PurchaseState.CANCELLED, PurchaseState.EXPIRED}) {
      assertTrue(new PurchaseStanding(won, true, order(last)).settled(), last.name());
    }
    assertTrue(new PurchaseStanding(soldOut, true, order(PurchaseState.NOT_WAITLISTED)).settled());
    PurchaseStanding limited = new PurchaseStanding(decision(Outcome.LOST, LossReason.LIMIT_EXCEEDED), true, Optional.empty());
    assertTrue(limited.settled(), "lost over the limit: never on the waitlist");
    assertFalse(limited.orderBeingStored());
  }

  @Test
  void aWinOrAStockLossWithoutAnOrderYetIsBeingStoredAndMovesOnlyForward() {
    PurchaseStanding storing = new PurchaseStanding(decision(Outcome.LOST, LossReason.INSUFFICIENT_STOCK), true, Optional.empty());
    assertTrue(storing.orderBeingStored());
    assertFalse(storing.settled());
    PurchaseStanding waiting = storing.advancedBy(order(PurchaseState.WAITLISTED).orElseThrow()).orElseThrow();
    PurchaseStanding promoted = waiting.advancedBy(order(PurchaseState.AWAITING_PAYMENT).orElseThrow()).orElseThrow();
    assertEquals(PurchaseState.AWAITING_PAYMENT, promoted.order().orElseThrow().state());
    assertEquals(Optional.empty(), promoted.advancedBy(order(PurchaseState.WAITLISTED).orElseThrow()), "never back");
    assertEquals(Optional.empty(), promoted.advancedBy(new OrderRecord("other", "bob", 1, 4, PurchaseState.PAID, 1)),
        "another purchase's order");
    assertThrows(IllegalArgumentException.class,
        () -> new PurchaseStanding(decision(Outcome.WON, LossReason.NONE), false, order(PurchaseState.PAID)));
  }
}
