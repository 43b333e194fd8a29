package flashsale.region.core;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import java.util.List;

/** Events, requests and decisions for core tests. Times in microseconds. */
final class Specs {
  static final String REGION = "eu";
  static final long START = 1_000_000;
  static final long END = 2_000_000;

  private Specs() {}

  static EventSpec open(String eventId) {
    return new EventSpec(eventId, "shoes", 10, START, END, 2, List.of(REGION, "us"), SaleMode.GLOBAL_ORDER, 0);
  }

  static EventSpec withMode(String eventId, SaleMode mode) {
    return new EventSpec(eventId, "shoes", 10, START, END, 2, List.of(REGION), mode, 0);
  }

  static EventSpec elsewhere(String eventId) {
    return new EventSpec(eventId, "shoes", 10, START, END, 2, List.of("us", "ap"), SaleMode.GLOBAL_ORDER, 0);
  }

  static BuyRequest buy(String eventId, String user, String requestId, int quantity) {
    return new BuyRequest(eventId, user, requestId, quantity);
  }

  static Decision won(Ticket t, long rank) {
    return new Decision(t, Outcome.WON, LossReason.NONE, rank, t.stampMicros() + 100, false);
  }

  static Decision lost(Ticket t, long rank) {
    return new Decision(t, Outcome.LOST, LossReason.SOLD_OUT, rank, t.stampMicros() + 100, false);
  }
}
