package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.loop.LoopScheduler;
import flashsale.orders.OrderRecord;
import flashsale.orders.PurchaseState;
import flashsale.region.core.Failure;
import flashsale.region.core.OrderStates;
import flashsale.region.core.PurchaseStanding;
import flashsale.sale.Decision;
import flashsale.sale.ErrorReason;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import flashsale.v1.GetDecisionResponse;
import flashsale.v1.OrderState;
import flashsale.v1.OrderUpdate;
import flashsale.v1.WatchPurchaseResponse;
import flashsale.wire.OrderWire;
import flashsale.wire.WireMapping;
import io.grpc.stub.StreamObserver;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** The region's order states and WatchPurchase streams, against a scripted arbiter and a manual loop. */
class PurchaseStandingsTest {
  static final String EVENT = "drop";

  /** A GetDecision the test answers by hand. */
  record Question(String requestId, Consumer<GetDecisionResponse> then, Consumer<Failure> failed) {}

  final Queue<Question> questions = new ArrayDeque<>();
  final ManualLoop loop = new ManualLoop();
  final OrderStates states = new OrderStates(100);
  final PurchaseStandings standings = new PurchaseStandings(states,
      (eventId, requestId, then, failed) -> questions.add(new Question(requestId, then, failed)), loop, 500, 2, 16);

  static Decision decision(String requestId, Outcome outcome, LossReason reason, long rank) {
    return new Decision(new Ticket(EVENT, requestId, "user-" + requestId, 1, "eu", 1_000 + rank), outcome, reason, rank,
        2_000, false);
  }

  static OrderRecord order(Decision d, PurchaseState state, long deadlineMicros) {
    return new OrderRecord(d.requestId(), d.ticket().userId(), 1, d.rank(), state, deadlineMicros);
  }

  static OrderUpdate pushed(boolean waitlistFull, OrderRecord... orders) {
    OrderUpdate.Builder b = OrderUpdate.newBuilder().setEventId(EVENT).setWaitlistFull(waitlistFull);
    for (OrderRecord o : orders) b.addOrders(OrderWire.toProto(EVENT, o));
    return b.build();
  }

  static GetDecisionResponse answer(Decision d, boolean window, Optional<OrderRecord> order) {
    GetDecisionResponse.Builder b = GetDecisionResponse.newBuilder().setDecision(WireMapping.toProto(d))
        .setHasPaymentWindow(window);
    order.ifPresent(o -> b.setOrder(OrderWire.toProto(EVENT, o)));
    return b.build();
  }

  final Decision won = decision("w", Outcome.WON, LossReason.NONE, 1);
  final Decision soldOut = decision("l", Outcome.LOST, LossReason.SOLD_OUT, 2);

  /**
   * After a reconnect every open watch asks again, but a few at a time: all at once they would fill
   * the region's cap on arbiter questions and buyers' own look-ups would be refused meanwhile.
   */
  @Test
  void afterAReconnectWatchesAskAgainAFewAtATimeAndAllGetTheirTurn() {
    PurchaseStandings paced = new PurchaseStandings(states,
        (eventId, requestId, then, failed) -> questions.add(new Question(requestId, then, failed)), loop, 500, 100, 3);
    List<Watcher> watchers = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      Decision d = decision("p" + i, Outcome.WON, LossReason.NONE, i + 1);
      Watcher w = new Watcher();
      paced.watch(new PurchaseStanding(d, true, Optional.of(order(d, PurchaseState.AWAITING_PAYMENT, 9_000))),
          paced.generation(), w);
      watchers.add(w);
    }
    assertEquals(0, questions.size());

    paced.reconnected();
    assertEquals(3, questions.size(), "three ask at once");
    assertEquals(7, paced.refreshesWaiting());
    int answered = 0;
    while (!questions.isEmpty()) {
      Question q = questions.poll();
      Decision d = decision(q.requestId(), Outcome.WON, LossReason.NONE, Long.parseLong(q.requestId().substring(1)) + 1);
      q.then().accept(answer(d, true, Optional.of(order(d, PurchaseState.PAID, 9_000))));
      answered++;
      assertTrue(questions.size() <= 3, questions.size() + " asking at once");
    }
    assertEquals(10, answered, "each watch asked once");
    for (Watcher w : watchers) {
      assertEquals(List.of(OrderState.ORDER_STATE_AWAITING_PAYMENT, OrderState.ORDER_STATE_PAID), w.states());
      assertTrue(w.completed, "settled: the stream ends");
    }
    assertEquals(0, paced.watchers());
  }

  /** A watch opened again while the one before it waited its turn to ask takes that turn. */
  @Test
  void aWatchOpenedAgainWhileTheOldOneWaitedItsTurnAsks() {
    PurchaseStandings paced = new PurchaseStandings(states,
        (eventId, requestId, then, failed) -> questions.add(new Question(requestId, then, failed)), loop, 500, 100, 1);
    Decision a = decision("a", Outcome.WON, LossReason.NONE, 1);
    Decision b = decision("b", Outcome.WON, LossReason.NONE, 2);
    paced.watch(new PurchaseStanding(a, true, Optional.of(order(a, PurchaseState.AWAITING_PAYMENT, 9_000))),
        paced.generation(), new Watcher());
    Watcher old = new Watcher();
    PurchaseStanding bStanding = new PurchaseStanding(b, true, Optional.of(order(b, PurchaseState.AWAITING_PAYMENT, 9_000)));
    paced.watch(bStanding, paced.generation(), old);
    paced.reconnected();
    Question first = questions.poll();
    assertEquals("a", first.requestId(), "b waits its turn");

    paced.forget(EVENT, "b", old); // b's client gave up and watches again, from before the reconnect
    Watcher again = new Watcher();
    paced.watch(bStanding, paced.generation() - 1, again);
    first.then().accept(answer(a, true, Optional.of(order(a, PurchaseState.PAID, 9_000))));

    Question second = questions.poll();
    assertTrue(second != null && second.requestId().equals("b"), "the new watch of b asks: " + second);
    second.then().accept(answer(b, true, Optional.of(order(b, PurchaseState.PAID, 9_000))));
    assertEquals(List.of(OrderState.ORDER_STATE_AWAITING_PAYMENT, OrderState.ORDER_STATE_PAID), again.states());
  }

  /**
   * Questions refused on the spot (the region's query cap and its waiting room full) answer while
   * the watches waiting their turn are being asked: each is retried later, none is lost or asked
   * twice, and the turn-taking goes on (it walked the queue it was changing, and threw).
   */
  @Test
  void questionsRefusedOnTheSpotWhileWatchesTakeTheirTurnAreEachRetriedLater() {
    List<String> refused = new ArrayList<>();
    int[] heldSoFar = {0};
    PurchaseStandings paced = new PurchaseStandings(states, (eventId, requestId, then, failed) -> {
      if (heldSoFar[0]++ < 3) {
        questions.add(new Question(requestId, then, failed)); // held by the arbiter
      } else {
        refused.add(requestId);
        failed.accept(Failure.of(ErrorReason.TOO_MANY_PENDING, "cap full"));
      }
    }, loop, 500, 100, 3);
    for (int i = 0; i < 20; i++) {
      Decision d = decision("p" + i, Outcome.WON, LossReason.NONE, i + 1);
      paced.watch(new PurchaseStanding(d, true, Optional.of(order(d, PurchaseState.AWAITING_PAYMENT, 9_000))),
          paced.generation(), new Watcher());
    }
    paced.reconnected();
    assertEquals(3, questions.size());
    assertEquals(17, paced.refreshesWaiting());

    Question first = questions.poll();
    Decision d = decision(first.requestId(), Outcome.WON, LossReason.NONE, 1);
    first.then().accept(answer(d, true, Optional.of(order(d, PurchaseState.AWAITING_PAYMENT, 9_000))));

    assertEquals(0, paced.refreshesWaiting(), "every one waiting got its turn");
    assertEquals(17, refused.size(), "each asked once: " + refused);
    assertEquals(17, new java.util.HashSet<>(refused).size());
    assertEquals(17, loop.delaysMs.size(), "each refused one retried later");
    assertEquals(2, questions.size(), "the two still held");
  }

  /** A question that failed is asked again after about the retry wait, not at once, and frees its turn. */
  @Test
  void aFailedRefreshFreesItsTurnAndIsAskedAgainLater() {
    PurchaseStandings paced = new PurchaseStandings(states,
        (eventId, requestId, then, failed) -> questions.add(new Question(requestId, then, failed)), loop, 500, 100, 1);
    for (String id : List.of("a", "b")) {
      Decision d = decision(id, Outcome.WON, LossReason.NONE, 1);
      paced.watch(new PurchaseStanding(d, true, Optional.of(order(d, PurchaseState.AWAITING_PAYMENT, 9_000))),
          paced.generation(), new Watcher());
    }
    paced.reconnected();
    Question first = questions.poll();
    assertEquals(0, questions.size(), "one at a time");
    first.failed().accept(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "leader still recovering"));
    Question second = questions.poll();
    assertTrue(second != null && !second.requestId().equals(first.requestId()), "the next watch's turn");
    second.failed().accept(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "leader still recovering"));
    assertEquals(0, questions.size(), "failed ones wait before asking again");
    assertEquals(2, loop.delaysMs.size());
    for (long delayMs : loop.delaysMs) assertTrue(delayMs >= 250 && delayMs <= 750, "retry in " + delayMs + " ms");
    loop.runScheduled();
    assertEquals(1, questions.size(), "asked again, one at a time");
  }

  @Test
  void aWinnerIsToldAtOnceThenOfItsExpiryAndTheStreamEnds() {
    Watcher w = new Watcher();
    standings.watch(new PurchaseStanding(won, true, Optional.of(order(won, PurchaseState.AWAITING_PAYMENT, 9_000))),
        standings.generation(), w);
    assertEquals(List.of(OrderState.ORDER_STATE_AWAITING_PAYMENT), w.states());
    assertEquals(9_000, flashsale.wire.Times.micros(w.got.get(0).getOrder().getPaymentDeadlineTime()), "with its deadline");
    assertFalse(w.completed);
    standings.orderUpdate(pushed(false, order(won, PurchaseState.EXPIRED, 9_000)));
    assertEquals(List.of(OrderState.ORDER_STATE_AWAITING_PAYMENT, OrderState.ORDER_STATE_EXPIRED), w.states());
    assertTrue(w.completed, "expired is final");
    assertEquals(0, standings.watchers());
    assertTrue(questions.isEmpty(), "pushed, never asked");
  }

  @Test
  void aWaitlistedLoserIsToldOfItsPromotionAndALateOlderReportChangesNothing() {
    Watcher w = new Watcher();
    standings.watch(new PurchaseStanding(soldOut, true, Optional.of(order(soldOut, PurchaseState.WAITLISTED, 0))),
        standings.generation(), w);
    standings.orderUpdate(pushed(false, order(won, PurchaseState.CANCELLED, 0),
        order(soldOut, PurchaseState.AWAITING_PAYMENT, 12_000)));
    standings.orderUpdate(pushed(false, order(soldOut, PurchaseState.WAITLISTED, 0)));
    assertEquals(List.of(OrderState.ORDER_STATE_WAITLISTED, OrderState.ORDER_STATE_AWAITING_PAYMENT), w.states());
    assertFalse(w.completed);
    standings.orderUpdate(pushed(false, order(soldOut, PurchaseState.PAID, 12_000)));
    assertEquals(OrderState.ORDER_STATE_PAID, w.states().get(2));
    assertTrue(w.completed);
  }

  @Test
  void afterAReconnectEveryWatchAsksAgainAndHearsWhatItMissed() {
    Watcher w = new Watcher();
    standings.watch(new PurchaseStanding(won, true, Optional.of(order(won, PurchaseState.AWAITING_PAYMENT, 9_000))),
        standings.generation(), w);
    standings.orderUpdate(pushed(false, order(soldOut, PurchaseState.WAITLISTED, 0)));
    standings.reconnected();
    assertEquals(Optional.empty(), states.find(EVENT, "l"), "unsettled orders are not trusted after a reconnect");
    Question asked = questions.remove();
    assertEquals("w", asked.requestId());
    asked.failed().accept(Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "still failing over"));
    assertTrue(questions.isEmpty());
    loop.runScheduled();
    Question again = questions.remove();
    again.then().accept(answer(won, true, Optional.of(order(won, PurchaseState.EXPIRED, 9_000))));
    assertEquals(List.of(OrderState.ORDER_STATE_AWAITING_PAYMENT, OrderState.ORDER_STATE_EXPIRED), w.states());
    assertTrue(w.completed);
    loop.runScheduled();
    assertTrue(questions.isEmpty(), "a settled watch asks no more");
  }

  @Test
  void aWatchStartedUnderAnEarlierStreamAsksAgain() {
    long startedIn = standings.generation();
    standings.reconnected();
    Watcher w = new Watcher();
    standings.watch(new PurchaseStanding(soldOut, true, Optional.of(order(soldOut, PurchaseState.WAITLISTED, 0))),
        startedIn, w);
    questions.remove().then().accept(answer(soldOut, true, Optional.of(order(soldOut, PurchaseState.AWAITING_PAYMENT, 5))));
    assertEquals(List.of(OrderState.ORDER_STATE_WAITLISTED, OrderState.ORDER_STATE_AWAITING_PAYMENT), w.states());
  }

  @Test
  void aLoserWhoseOrderIsBeingStoredAsksAgainOnceTheWaitlistIsFull() {
    Watcher loser = new Watcher();
    Watcher winner = new Watcher();
    standings.watch(new PurchaseStanding(soldOut, true, Optional.empty()), standings.generation(), loser);
    standings.watch(new PurchaseStanding(won, true, Optional.empty()), standings.generation(), winner);
    assertFalse(loser.got.get(0).hasOrder(), "the decision at once, its order still being stored");
    Decision other = decision("x", Outcome.LOST, LossReason.SOLD_OUT, 1);
    standings.orderUpdate(pushed(true, order(other, PurchaseState.WAITLISTED, 0)));
    Question asked = questions.remove();
    assertEquals("l", asked.requestId(), "only the loser asks: a win's order is always pushed");
    assertTrue(questions.isEmpty());
    asked.then().accept(answer(soldOut, true, Optional.of(order(soldOut, PurchaseState.NOT_WAITLISTED, 0))));
    assertEquals(OrderState.ORDER_STATE_NOT_WAITLISTED, loser.states().get(1));
    assertTrue(loser.completed);

    Watcher late = new Watcher();
    Decision later = decision("z", Outcome.LOST, LossReason.SOLD_OUT, 9);
    standings.watch(new PurchaseStanding(later, true, Optional.empty()), standings.generation(), late);
    assertEquals("z", questions.remove().requestId(), "the waitlist was full before it watched: it asks at once");
  }

  @Test
  void aStandingComesFromWhatIsKnownAndTheArbiterIsAskedOnlyWhenNeeded() {
    List<PurchaseStanding> got = new ArrayList<>();
    standings.standing(won, got::add, f -> { throw new AssertionError(f.toString()); });
    questions.remove().then().accept(answer(won, false, Optional.empty()));
    standings.standing(soldOut, got::add, f -> { throw new AssertionError(f.toString()); });
    assertTrue(questions.isEmpty(), "the event has no window: known for good");
    assertEquals(List.of(false, false), got.stream().map(PurchaseStanding::paymentWindow).toList());

    Decision inWindow = new Decision(new Ticket("kicks", "k", "kim", 1, "eu", 5), Outcome.WON, LossReason.NONE, 1, 6, false);
    states.report("kicks", new OrderRecord("k", "kim", 1, 1, PurchaseState.PAID, 9), states.generation());
    standings.standing(inWindow, got::add, f -> { throw new AssertionError(f.toString()); });
    assertTrue(questions.isEmpty(), "its order was pushed");
    assertEquals(PurchaseState.PAID, got.get(2).order().orElseThrow().state());
  }

  @Test
  void watchesAreCappedForgottenAndEndedAtShutdown() {
    Watcher a = new Watcher();
    Watcher b = new Watcher();
    PurchaseStanding owing = new PurchaseStanding(won, true, Optional.of(order(won, PurchaseState.AWAITING_PAYMENT, 9)));
    standings.watch(owing, standings.generation(), a);
    standings.watch(owing, standings.generation(), b);
    assertEquals(ErrorReason.TOO_MANY_PENDING, standings.admitWatch(0).orElseThrow().reason());
    standings.forget(EVENT, "w", a);
    assertEquals(Optional.empty(), standings.admitWatch(0));
    standings.orderUpdate(pushed(false, order(won, PurchaseState.PAID, 9)));
    assertEquals(1, a.got.size(), "a forgotten watcher hears no more");
    assertTrue(b.completed);
    Watcher c = new Watcher();
    standings.watch(new PurchaseStanding(soldOut, true, Optional.of(order(soldOut, PurchaseState.WAITLISTED, 0))),
        standings.generation(), c);
    standings.close(Failure.of(ErrorReason.SHUTTING_DOWN, "region stopping"));
    assertTrue(c.error instanceof io.grpc.StatusRuntimeException e && e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE);
    assertEquals(ErrorReason.SHUTTING_DOWN, standings.admitWatch(0).orElseThrow().reason());
  }

  /** A WatchPurchase client as the region sees it. */
  static final class Watcher implements StreamObserver<WatchPurchaseResponse> {
    final List<WatchPurchaseResponse> got = new ArrayList<>();
    boolean completed;
    Throwable error;

    List<OrderState> states() {
      return got.stream().map(r -> r.getOrder().getState()).toList();
    }

    @Override
    public void onNext(WatchPurchaseResponse value) {
      if (completed || error != null) throw new AssertionError("message after the end: " + value);
      got.add(value);
    }

    @Override
    public void onError(Throwable t) {
      error = t;
    }

    @Override
    public void onCompleted() {
      completed = true;
    }
  }

  /** Runs posted tasks at once and scheduled ones when the test says. */
  static final class ManualLoop implements LoopScheduler {
    private final List<Runnable> scheduled = new ArrayList<>();
    final List<Long> delaysMs = new ArrayList<>();

    @Override
    public void execute(Runnable task) {
      task.run();
    }

    @Override
    public Timer schedule(Runnable task, long delayMs) {
      scheduled.add(task);
      delaysMs.add(delayMs);
      return () -> scheduled.remove(task);
    }

    @Override
    public Timer every(Runnable task, long periodMs) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long nanoTime() {
      return 0;
    }

    void runScheduled() {
      List<Runnable> due = List.copyOf(scheduled);
      scheduled.clear();
      due.forEach(Runnable::run);
    }
  }
}
