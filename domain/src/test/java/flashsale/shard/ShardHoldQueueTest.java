package flashsale.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Ticket;
import flashsale.shard.ShardHoldQueue.Purpose;
import flashsale.shard.ShardHoldQueue.ShardAnswer;
import flashsale.shard.ShardHoldQueue.Step;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The SHARDED hold-and-borrow policy at one region, driven directly and by seeded random schedules. */
class ShardHoldQueueTest {
  private static final long HOLD_NANOS = 1_000_000_000L;
  private static final ShardAnswer.Decided DECIDED = new ShardAnswer.Decided();

  private static Ticket ticket(String requestId, long stampMicros) {
    return new Ticket("ev", requestId, "user-" + requestId, 1, "east", stampMicros);
  }

  private static <H> Step.Buy<H> onlyBuy(List<Step<H>> steps) {
    List<Step.Buy<H>> buys = buys(steps);
    assertEquals(1, buys.size(), steps.toString());
    return buys.getFirst();
  }

  @SuppressWarnings("unchecked")
  private static <H> List<Step.Buy<H>> buys(List<Step<H>> steps) {
    return steps.stream().filter(s -> s instanceof Step.Buy).map(s -> (Step.Buy<H>) s).toList();
  }

  @Test
  void aHeldPurchaseRetriedIsWaitedForOnceInTheReport() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    var first = onlyBuy(queue.purchase(ticket("a", 10), "call-a", 0));
    queue.shardAnswered(first, new ShardAnswer.Short(0), 1);
    queue.reportAnswered(java.util.OptionalLong.empty()); // the report failed: the next tick reports again
    for (int retry = 1; retry <= 9; retry++) queue.purchase(ticket("a", 10 + retry), "call-a-" + retry, 2 + retry);
    queue.purchase(ticket("b", 30), "call-b", 20);
    var report = (Step.Report<String>) queue.tick(21).stream().filter(s -> s instanceof Step.Report).findFirst().orElseThrow();
    assertEquals(2, report.waitingUnits(), "a (asked 10 times) and b, one unit each");
    assertEquals(11, queue.heldCount(), "each call keeps its place, answered alike by the store");
  }

  @Test
  void aShortShardHoldsThePurchaseReportsAtOnceAndLetsNoLaterBuyerOvertakeIt() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    var first = onlyBuy(queue.purchase(ticket("a", 10), "call-a", 0));
    assertEquals(Purpose.FIRST_TRY, first.purpose());

    List<Step<String>> afterShort = queue.shardAnswered(first, new ShardAnswer.Short(0), 1);
    assertEquals(1, afterShort.size(), afterShort.toString());
    var report = (Step.Report<String>) afterShort.getFirst(); // held, and the arbiter hears it at once
    assertEquals(0, report.remainingUnits());
    assertEquals(1, report.waitingUnits());
    List<Step<String>> behind = queue.purchase(ticket("b", 20), "call-b", 2);
    assertEquals(List.of(), buys(behind), "b waits behind a: no buy");
    assertEquals(1, behind.size(), "the shard is only asked to decide b without a unit: " + behind);
    assertEquals(2, queue.heldCount());
    assertEquals(Optional.of(ticket("b", 20)), queue.heldTicket("b"));
  }

  @Test
  void aPurchaseTheShardDecidesWithoutAUnitLeavesTheQueueAndIsNoLongerWaitedFor() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    queue.shardAnswered(onlyBuy(queue.purchase(ticket("a", 10), "call-a", 0)), new ShardAnswer.Short(0), 1);
    queue.reportAnswered(OptionalLong.empty());
    var retry = (Step.Check<String>) queue.purchase(ticket("decided", 20), "call-decided", 2).getFirst();
    queue.purchase(ticket("b", 30), "call-b", 3);

    assertTrue(queue.decidedWithoutStock(retry), "still waiting: its buyer is answered now");
    assertFalse(queue.decidedWithoutStock(retry), "answered once");
    assertEquals(Optional.empty(), queue.heldTicket("decided"));
    var report = (Step.Report<String>) queue.tick(4).stream().filter(s -> s instanceof Step.Report).findFirst().orElseThrow();
    assertEquals(2, report.waitingUnits(), "a and b wait for stock; the decided one does not");
    assertEquals("a", onlyBuy(queue.reportAnswered(OptionalLong.of(100))).ticket().requestId(), "a is still first");
  }

  @Test
  void aPurchaseAtTheStoreAsTheOldestIsAnsweredByItsBuyNotItsCheck() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    queue.shardAnswered(onlyBuy(queue.purchase(ticket("a", 10), "call-a", 0)), new ShardAnswer.Short(0), 1);
    queue.reportAnswered(OptionalLong.empty());
    var check = (Step.Check<String>) queue.purchase(ticket("b", 5), "call-b", 2).getFirst(); // stamped earlier: the oldest
    var atStore = onlyBuy(queue.reportAnswered(OptionalLong.of(100)));
    assertEquals("b", atStore.ticket().requestId());
    assertFalse(queue.decidedWithoutStock(check), "its buy answers it");
    assertEquals("a", onlyBuy(queue.shardAnswered(atStore, DECIDED, 3)).ticket().requestId());
  }

  @Test
  void aReportSaysTheShardIsInUseOnlyOnceItsStoreAnswered() {
    var queue = new ShardHoldQueue<String>("ev", 5, HOLD_NANOS, 0);
    var first = onlyBuy(queue.purchase(ticket("a", 10), "call-a", 0));
    var before = (Step.Report<String>) queue.tick(21).stream().filter(s -> s instanceof Step.Report).findFirst().orElseThrow();
    assertEquals(false, before.shardInUse(), "no answer yet: the shard may not exist");
    queue.reportAnswered(java.util.OptionalLong.empty());
    queue.shardAnswered(first, new ShardAnswer.Failed(), 22);
    var failed = (Step.Report<String>) queue.tick(43).stream().filter(s -> s instanceof Step.Report).findFirst().orElseThrow();
    assertEquals(false, failed.shardInUse(), "a store that did not answer says nothing of the shard");
    queue.reportAnswered(java.util.OptionalLong.empty());
    var second = onlyBuy(queue.purchase(ticket("b", 50), "call-b", 50));
    queue.shardAnswered(second, new ShardAnswer.Decided(), 51);
    var after = (Step.Report<String>) queue.tick(72).stream().filter(s -> s instanceof Step.Report).findFirst().orElseThrow();
    assertEquals(true, after.shardInUse(), "the store decided from the shard: it exists");
  }

  @Test
  void afterEachReportTheOldestHeldIsRetriedOneAtATime() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    queue.shardAnswered(onlyBuy(queue.purchase(ticket("late", 30), "late", 0)), new ShardAnswer.Short(0), 0);
    queue.purchase(ticket("early", 5), "early", 0); // stamped earlier, arrived later: served first

    var retry = onlyBuy(queue.reportAnswered(OptionalLong.of(100)));
    assertEquals(Purpose.OLDEST_HELD, retry.purpose());
    assertEquals("early", retry.ticket().requestId());
    assertEquals(List.of(), queue.reportAnswered(OptionalLong.of(100)), "one retry at the store at a time");

    var next = onlyBuy(queue.shardAnswered(retry, DECIDED, 1));
    assertEquals("late", next.ticket().requestId());
    assertEquals(List.of(), queue.shardAnswered(next, new ShardAnswer.Short(0), 2), "short again: stays held");
    assertEquals(1, queue.heldCount());
    assertFalse(retry.failureAnswersBuyer(), "a failed retry leaves the purchase held");
  }

  @Test
  void aHoldRunsOutWithNothingDecidedExceptTheOneAtTheStore() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    queue.shardAnswered(onlyBuy(queue.purchase(ticket("a", 1), "a", 0)), new ShardAnswer.Short(0), 0);
    queue.purchase(ticket("b", 2), "b", 0);
    queue.reportAnswered(OptionalLong.of(100)); // a goes to the store

    List<Step<String>> steps = queue.tick(HOLD_NANOS);
    assertEquals(List.of(new Step.Expire<String>(ticket("b", 2), "b")),
        steps.stream().filter(s -> s instanceof Step.Expire).toList());
    assertEquals(Optional.of(ticket("a", 1)), queue.heldTicket("a"), "a is at the store: its answer decides it");
  }

  @Test
  void soldOutEverywhereDecidesEveryHeldPurchaseAtOnce() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    queue.shardAnswered(onlyBuy(queue.purchase(ticket("a", 1), "a", 0)), new ShardAnswer.Short(0), 0);
    queue.purchase(ticket("b", 2), "b", 0);
    queue.purchase(ticket("c", 3), "c", 0);
    var atStore = onlyBuy(queue.reportAnswered(OptionalLong.of(100)));

    List<Step.Buy<String>> lose = buys(queue.reportAnswered(OptionalLong.of(0)));
    assertEquals(List.of("b", "c"), lose.stream().map(b -> b.ticket().requestId()).sorted().toList());
    assertTrue(lose.stream().allMatch(b -> b.decideShort() && b.purpose() == Purpose.BEYOND_STOCK));
    var last = onlyBuy(queue.shardAnswered(atStore, new ShardAnswer.Short(0), 1));
    assertEquals("a", last.ticket().requestId(), "the one at the store is decided once it comes back short");
    assertEquals(0, queue.heldCount());
    assertTrue(onlyBuy(queue.purchase(ticket("d", 4), "d", 2)).decideShort(), "later buyers are decided at once");
  }

  @Test
  void aHeldPurchaseAskingMoreThanTheEventHasLeftLosesAtOnceAndNoLongerBlocksTheQueue() {
    var queue = new ShardHoldQueue<String>("ev", 1, HOLD_NANOS, 0);
    var big = new Ticket("ev", "big", "user-big", 3, "east", 1);
    queue.shardAnswered(onlyBuy(queue.purchase(big, "big", 0)), new ShardAnswer.Short(1), 0);
    queue.purchase(ticket("small", 2), "small", 0); // behind big, though the shard holds 1

    List<Step<String>> steps = queue.reportAnswered(OptionalLong.of(2)); // 2 left in the whole event: big can only lose
    List<Step.Buy<String>> sent = buys(steps);
    assertEquals(2, sent.size(), steps.toString());
    assertEquals(new Step.Buy<>(big, "big", true, Purpose.BEYOND_STOCK), sent.get(0), "decided, even if short");
    assertEquals(new Step.Buy<>(ticket("small", 2), "small", false, Purpose.OLDEST_HELD), sent.get(1));
    queue.reportAnswered(OptionalLong.of(50)); // a staler answer: the figure only falls
    assertTrue(onlyBuy(queue.purchase(new Ticket("ev", "big2", "u2", 3, "east", 3), "big2", 1)).decideShort(),
        "a later big purchase is decided at once, not held behind small");
  }

  @Test
  void aReportIsNotSentAgainWhileOneIsInFlight() {
    var queue = new ShardHoldQueue<String>("ev", 5, HOLD_NANOS, 0);
    assertEquals(1, queue.tick(1).size());
    assertEquals(List.of(), queue.tick(2));
    queue.reportAnswered(OptionalLong.empty()); // failed: the next tick reports again
    assertEquals(1, queue.tick(3).size());
  }

  /**
   * Random schedules of arrivals, store answers (decided, short, failed) in any order, reports
   * and ticks: every purchase is answered exactly once (decided, failed or expired) once the
   * event is sold out and every call has come back; a retry never passes over an older held one.
   */
  @Test
  void randomSchedulesAnswerEveryPurchaseOnceAndRetryOldestFirst() {
    for (long seed = 1; seed <= 2_000; seed++) {
      Random random = new Random(seed);
      var queue = new ShardHoldQueue<String>("ev", random.nextInt(3), HOLD_NANOS, 0);
      Deque<Step.Buy<String>> atStore = new ArrayDeque<>();
      Map<String, Ticket> waiting = new HashMap<>();
      Set<String> answered = new HashSet<>();
      List<Boolean> reports = new ArrayList<>();
      long now = 0;
      int arrivals = 0;
      boolean soldOut = false;
      for (int step = 0; step < 400; step++) {
        now += random.nextInt(50_000_000);
        List<Step<String>> steps = new ArrayList<>();
        int action = random.nextInt(10);
        if (action < 4 && arrivals < 60) {
          Ticket t = ticket("r" + arrivals++, now / 1_000);
          waiting.put(t.requestId(), t);
          steps.addAll(queue.purchase(t, t.requestId(), now));
        } else if (action < 7 && !atStore.isEmpty()) {
          var buy = random.nextBoolean() ? atStore.pollFirst() : atStore.pollLast();
          ShardAnswer answer = buy.decideShort() || random.nextInt(3) == 0 ? DECIDED
              : random.nextBoolean() ? new ShardAnswer.Short(0) : new ShardAnswer.Failed();
          if (answer instanceof ShardAnswer.Decided || (answer instanceof ShardAnswer.Failed && buy.failureAnswersBuyer())) {
            assertTrue(answered.add(buy.ticket().requestId()), "seed " + seed + ": answered twice " + buy.ticket());
          }
          steps.addAll(queue.shardAnswered(buy, answer, now));
        } else if (action < 8 && !reports.isEmpty()) {
          reports.removeFirst();
          soldOut |= step > 300;
          steps.addAll(queue.reportAnswered(random.nextInt(5) == 0 ? OptionalLong.empty() : OptionalLong.of(soldOut ? 0 : 100)));
        } else {
          steps.addAll(queue.tick(now));
        }
        for (Step<String> s : steps) {
          switch (s) {
            case Step.Buy<String> buy -> {
              if (buy.purpose() == Purpose.OLDEST_HELD) {
                assertTrue(atStore.stream().noneMatch(b -> b.purpose() == Purpose.OLDEST_HELD), "seed " + seed + ": two retries");
                long olderHeld = waiting.values().stream().filter(t -> !answered.contains(t.requestId()))
                    .filter(t -> queue.heldTicket(t.requestId()).isPresent())
                    .filter(t -> t.stampMicros() < buy.ticket().stampMicros()).count();
                assertEquals(0, olderHeld, "seed " + seed + ": retry of " + buy.ticket() + " passes over an older one");
              }
              atStore.add(buy);
            }
            case Step.Report<String> r -> reports.add(true);
            case Step.Expire<String> e -> assertTrue(answered.add(e.handle()), "seed " + seed + ": expired twice " + e);
            case Step.Check<String> c -> {} // new requests of users under the limit: the shard decides none
            case Step.Unmark<String> u -> assertEquals(0, queue.heldCount(), "seed " + seed + ": unmarked while held");
          }
        }
      }
      // Sold out and every call back: nothing may be left waiting.
      for (int round = 0; round < 1_000 && (queue.heldCount() > 0 || !atStore.isEmpty()); round++) {
        List<Step<String>> steps = new ArrayList<>();
        if (!atStore.isEmpty()) {
          var buy = atStore.pollFirst();
          if (buy.decideShort()) assertTrue(answered.add(buy.ticket().requestId()), "seed " + seed);
          steps.addAll(queue.shardAnswered(buy, buy.decideShort() ? DECIDED : new ShardAnswer.Short(0), now));
        } else {
          reports.clear();
          steps.addAll(queue.reportAnswered(OptionalLong.of(0)));
        }
        steps.forEach(s -> { if (s instanceof Step.Buy<String> b) atStore.add(b); });
      }
      assertEquals(0, queue.heldCount(), "seed " + seed + ": stranded after sold out");
      for (String requestId : waiting.keySet()) assertTrue(answered.contains(requestId), "seed " + seed + ": " + requestId + " never answered");
    }
  }

  /**
   * The shard's waiting mark is cleared once nothing is held, but not while a first try is at the
   * store: sent behind it, the clear would erase the mark that first try was just found short
   * behind (it is held next), and a later buyer could take the units that land before it.
   */
  @Test
  void theShardsMarkIsNotClearedWhileAFirstTryIsAtTheStore() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    var a = (Step.Buy<String>) queue.purchase(ticket("a", 1), "a", 0).get(0);
    var b = (Step.Buy<String>) queue.purchase(ticket("b", 2), "b", 0).get(0);
    queue.shardAnswered(a, new ShardAnswer.Short(0), 0); // a is held, the shard marked
    List<Step<String>> expiry = queue.tick(HOLD_NANOS + 1); // a's hold runs out while b is at the store
    assertTrue(expiry.stream().noneMatch(st -> st instanceof Step.Unmark), "cleared with b at the store: " + expiry);

    queue.shardAnswered(b, new ShardAnswer.Short(0), HOLD_NANOS + 1); // b is held behind the mark
    List<Step<String>> later = queue.tick(2 * HOLD_NANOS + 2); // b's hold runs out: nothing held, nothing at the store
    assertTrue(later.stream().anyMatch(st -> st instanceof Step.Unmark), "the mark stays behind: " + later);
  }

  /** A first try whose reply was lost may have marked the shard: once nothing waits, the mark is cleared. */
  @Test
  void aFailedFirstTryClearsTheMarkItMayHaveLeft() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    var a = (Step.Buy<String>) queue.purchase(ticket("a", 1), "a", 0).get(0);
    List<Step<String>> steps = queue.shardAnswered(a, new ShardAnswer.Failed(), 0);
    assertTrue(steps.stream().anyMatch(st -> st instanceof Step.Unmark), "no clear after a failed first try: " + steps);
  }

  /** The held purchase's retry names a first try still at the store as what may wait next, not "nothing". */
  @Test
  void aHeldRetryNamesAFirstTryAtTheStoreAsNextWaiting() {
    var queue = new ShardHoldQueue<String>("ev", 0, HOLD_NANOS, 0);
    var a = (Step.Buy<String>) queue.purchase(ticket("a", 1), "a", 0).get(0);
    queue.purchase(ticket("b", 2), "b", 0); // b's first try is at the store
    queue.shardAnswered(a, new ShardAnswer.Short(0), 0);
    var retry = queue.reportAnswered(OptionalLong.of(100)).stream()
        .filter(st -> st instanceof Step.Buy<String> buy && buy.purpose() == Purpose.OLDEST_HELD).findFirst().orElseThrow();
    assertEquals(2, ((Step.Buy<String>) retry).nextWaitingMicros(), "b may come back short and wait next");
  }
}
