package flashsale.system.sim;

import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.PurchaseState;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * The buyers after the win, in events with a payment window. A winner (told by its region) or a
 * promoted buyer (told once the store holds the promotion, as a watch pushes it) pays in time,
 * pays within a few ms of its deadline, pays after it, cancels (some after the deadline), or lets
 * it pass; some waitlisted buyers leave the waitlist; a quarter of the calls are sent twice. A call
 * goes to the lease holder (or, one time in five, any arbiter), and is sent again with the same ids
 * after NOT_LEADER, a book still loading, or no reply within {@link #TIMEOUT_MICROS}; every final
 * answer goes to the {@link SimOrderOracle}. Its own random stream keeps the sale's draws as they were.
 */
final class SimPayments {
  static final long TIMEOUT_MICROS = 30_000;

  private final WholeSystemSimulation sim;
  private final Random random;
  private final Set<String> told = new HashSet<>();
  /** Calls planned, or sent and not yet finally answered: the run is not over before them. */
  private int open;

  /** One buyer's call, sent until it gets a final answer. */
  private static final class Call {
    final EventSpec spec;
    final String requestId;
    final PurchaseState wanted;
    int attempts;
    boolean answered;

    Call(EventSpec spec, String requestId, PurchaseState wanted) {
      this.spec = spec;
      this.requestId = requestId;
      this.wanted = wanted;
    }
  }

  SimPayments(WholeSystemSimulation sim, Random random) {
    this.sim = sim;
    this.random = random;
  }

  boolean busy() {
    return open > 0;
  }

  /** A buyer heard its purchase's decision (perhaps more than once). */
  void decided(EventSpec spec, Decision d) {
    OrderTerms terms = sim.orderTerms.get(spec.eventId());
    if (terms == null || !d.won() || !told.add(spec.eventId() + "/" + d.requestId())) return;
    act(spec, d.requestId(), d.decideMicros() + terms.paymentWindowMicros(), terms.paymentWindowMicros());
  }

  /** The store holds this transition; its buyer hears of it a little later. */
  void stored(String eventId, OrderTransition t) {
    EventSpec spec = sim.events.stream().filter(e -> e.eventId().equals(eventId)).findFirst().orElseThrow();
    long windowMicros = sim.orderTerms.get(eventId).paymentWindowMicros();
    switch (t.kind()) {
      case PROMOTED -> sim.scheduler.after(100 + random.nextLong(3_000),
          () -> act(spec, t.requestId(), t.deadlineMicros(), windowMicros));
      case WAITLISTED -> {
        if (random.nextInt(8) == 0) send(spec, t.requestId(), PurchaseState.CANCELLED,
            sim.scheduler.nowMicros() + random.nextLong(2 * windowMicros));
      }
      default -> {}
    }
  }

  private void act(EventSpec spec, String requestId, long deadlineMicros, long windowMicros) {
    long now = sim.scheduler.nowMicros();
    long deadline = deadlineMicros - SimClock.EPOCH_MICROS; // the arbiter's clock is within a few ms of true time
    int roll = random.nextInt(100);
    if (roll < 25) return; // never pays: the deadline passes
    PurchaseState wanted = roll < 40 ? PurchaseState.CANCELLED : PurchaseState.PAID;
    long atMicros = roll < 40 ? now + random.nextLong(windowMicros + windowMicros / 4)
        : roll < 70 ? now + random.nextLong(Math.max(1, (deadline - now) * 3 / 4))
        : roll < 90 ? deadline - 3_000 + random.nextLong(6_000)
        : deadline + random.nextLong(windowMicros);
    send(spec, requestId, wanted, atMicros);
    if (random.nextInt(4) == 0) {
      sim.oracle.count("order calls sent twice");
      send(spec, requestId, wanted, atMicros + random.nextLong(5_000));
    }
  }

  private void send(EventSpec spec, String requestId, PurchaseState wanted, long atMicros) {
    Call call = new Call(spec, requestId, wanted);
    open++;
    sim.scheduler.at(atMicros, () -> attempt(call));
  }

  private void attempt(Call call) {
    List<SimArbiter> arbiters = sim.arbiters;
    SimArbiter to = random.nextInt(5) == 0 ? arbiters.get(random.nextInt(arbiters.size())) : sim.leader();
    int attempt = ++call.attempts;
    sim.scheduler.after(100 + random.nextLong(1_500), () -> to.desk.call(call.spec.eventId(), call.requestId, call.wanted,
        reply -> sim.scheduler.after(100 + random.nextLong(1_500), () -> replied(call, attempt, reply))));
    sim.scheduler.after(TIMEOUT_MICROS, () -> {
      if (call.answered || call.attempts != attempt) return;
      sim.oracle.count("order calls timed out");
      attempt(call);
    });
  }

  private void replied(Call call, int attempt, SimOrderDesk.Reply reply) {
    sim.trace = sim.trace * 31 + reply.toString().hashCode();
    switch (reply) {
      case SimOrderDesk.Reply.Final f -> {
        sim.orderOracle.answered(call.spec.eventId(), call.requestId, call.wanted, f.record(), f.done());
        if (!call.answered) {
          call.answered = true;
          open--;
        }
      }
      case SimOrderDesk.Reply.Retry r -> {
        if (call.answered || call.attempts != attempt) return;
        sim.oracle.count("order calls retried");
        sim.scheduler.after(2_000 + random.nextLong(8_000), () -> attempt(call));
      }
      case SimOrderDesk.Reply.Failed x ->
          throw new AssertionError("buyer of " + call.requestId + " asked for " + call.wanted + " and got " + x.why());
    }
  }
}
