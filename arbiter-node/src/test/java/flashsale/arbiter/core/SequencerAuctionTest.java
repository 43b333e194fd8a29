package flashsale.arbiter.core;

import flashsale.sale.TicketRefusal;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.AuctionClose;
import flashsale.sale.AuctionRules;
import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * An auction on the same sequencer: bids judged in global stamp order against the bids standing,
 * a close that waits for the frontier, soft close, and a result written before it is announced.
 */
class SequencerAuctionTest {
  private static final long CLOSE = 1_000;
  private final SequencerDriver driver = new SequencerDriver();

  private static EventSpec auction(AuctionRules rules) {
    return EventSpec.auction(SequencerDriver.EVENT, "painting", rules, 0, CLOSE, List.of("beijing", "shanghai"), 7);
  }

  private static Ticket bid(String requestId, long amountMinor, String region, long stampMicros) {
    return Ticket.bid(SequencerDriver.EVENT, requestId, "user-" + requestId, amountMinor, region, stampMicros, 0);
  }

  private void start(AuctionRules rules) {
    driver.add(auction(rules));
    driver.connect("beijing", "shanghai");
  }

  private BidVerdict verdict(String requestId) {
    return driver.store.decision(SequencerDriver.EVENT, requestId).bid().orElseThrow();
  }

  /** The store writes every batch and close asked for, as the runner would, until none waits. */
  private static void settle(SequencerDriver d) {
    while (true) {
      d.persistAll();
      int closes = SequencerDriver.of(d.effects, Effect.PersistAuctionClose.class).size();
      if (closes == SequencerDriver.of(d.effects, Effect.AnnounceAuctionClose.class).size()) return;
      d.auctionClosePersisted();
    }
  }

  private List<AuctionClose> persistedCloses() {
    return SequencerDriver.of(driver.effects, Effect.PersistAuctionClose.class).stream().map(Effect.PersistAuctionClose::close).toList();
  }

  private List<AuctionClose> announced() {
    return SequencerDriver.of(driver.effects, Effect.AnnounceAuctionClose.class).stream().map(Effect.AnnounceAuctionClose::close).toList();
  }

  private static List<String> ids(List<Ticket> tickets) {
    return tickets.stream().map(Ticket::requestId).toList();
  }

  @Test
  void anAuctionClosesWhenEveryNodeOfARegionRunByNamedNodesHasPassedTheClose() {
    // shanghai runs two named nodes: its unnamed placeholder cursor, superseded, must not hold the close.
    driver.add(auction(AuctionRules.hardClose(1, 100, 10, "EUR")));
    driver.connect("beijing", "shanghai/n1", "shanghai/n2");
    driver.send("shanghai/n1", bid("s1", 150, "shanghai", 300).withNode("n1"));
    driver.watermarks(CLOSE + 10, "beijing", "shanghai/n1");
    settle(driver);
    assertEquals(List.of(), persistedCloses(), "node n2 has not passed the close");
    driver.watermark("shanghai/n2", CLOSE + 10);
    settle(driver);
    assertEquals(List.of(List.of("s1")), announced().stream().map(c -> ids(c.winners())).toList(),
        "closed once both nodes passed it, with the far node's bid winning");
  }

  @Test
  void theHighestBidAllowedWithTheHighestIncrementLeavesLaterBidsOutbidNotBroken() {
    long max = AuctionRules.MAX_AMOUNT_MINOR;
    start(AuctionRules.hardClose(1, 100, max, "EUR"));
    driver.send("beijing", bid("top", max, "beijing", 100));
    driver.send("shanghai", bid("after", 200, "shanghai", 200));
    driver.watermarks(400, "beijing", "shanghai");
    driver.persistAll();
    assertEquals(BidAnswer.ACCEPTED, verdict("top").answer());
    assertEquals(new BidVerdict(BidAnswer.OUTBID, 2 * max, CLOSE), verdict("after"), "no overflow: the amount to beat stays exact");
    assertThrows(IllegalArgumentException.class, () -> bid("over", max + 1, "beijing", 300), "no ticket carries more");
  }

  @Test
  void bidsAreJudgedInStampOrderAcrossRegionsNotInArrivalOrder() {
    start(AuctionRules.hardClose(1, 100, 10, "EUR"));
    // The near region's later, lower bid arrives first; the far region's earlier bids after it.
    driver.send("beijing", bid("b1", 150, "beijing", 300));
    driver.send("shanghai", bid("s1", 120, "shanghai", 100), bid("s2", 125, "shanghai", 200), bid("s3", 90, "shanghai", 250));
    driver.watermarks(400, "beijing", "shanghai");
    driver.persistAll();
    assertEquals(List.of("s1", "s2", "s3", "b1"), driver.decidedOrder());
    assertEquals(new BidVerdict(BidAnswer.ACCEPTED, 0, CLOSE), verdict("s1"));
    assertEquals(new BidVerdict(BidAnswer.OUTBID, 130, CLOSE), verdict("s2"), "120 stands: 125 is short of 120 + 10");
    assertEquals(new BidVerdict(BidAnswer.TOO_LOW, 130, CLOSE), verdict("s3"), "under the reserve of 100");
    assertEquals(new BidVerdict(BidAnswer.ACCEPTED, 0, CLOSE), verdict("b1"));
    Decision s2 = driver.store.decision(SequencerDriver.EVENT, "s2");
    assertEquals(LossReason.BID_NOT_ACCEPTED, s2.lossReason());
    assertEquals(0, driver.status().unitsSold(), "a standing bid takes no unit before the close");
    assertEquals(List.of(4L, 0L, 3L), List.of(driver.status().decisions(), driver.status().wins(), driver.status().losses()),
        "of 4 bids, b1 stands (neither won nor lost yet) and 3 lost");
    assertEquals(List.of(), persistedCloses(), "the frontier has not reached the close");
  }

  @Test
  void aBidStampedBeforeTheCloseCountsHoweverLateItArrivesAndOneStampedAtTheCloseNever() {
    start(AuctionRules.hardClose(1, 100, 10, "EUR"));
    // The near region's higher bid stamped 1 us after the close reaches the arbiter first: refused at once.
    List<Effect> nearFirst = driver.send("beijing", bid("near-late", 500, "beijing", CLOSE + 1));
    assertEquals(List.of(TicketRefusal.EVENT_NOT_OPEN),
        SequencerDriver.of(nearFirst, Effect.RejectTicket.class).stream().map(Effect.RejectTicket::reason).toList());
    driver.watermark("beijing", CLOSE + 50);
    assertEquals(List.of(), persistedCloses(), "the far region has not spoken past the close");
    driver.send("shanghai", bid("far-on-time", 200, "shanghai", CLOSE - 1));
    driver.watermark("shanghai", CLOSE + 60);
    settle(driver);
    assertEquals(List.of("far-on-time"), driver.decidedOrder());
    assertEquals(BidAnswer.ACCEPTED, verdict("far-on-time").answer());
    assertEquals(1, persistedCloses().size());
    AuctionClose close = persistedCloses().get(0);
    assertEquals(CLOSE, close.closeMicros());
    assertEquals(List.of("far-on-time"), ids(close.winners()));
  }

  @Test
  void theResultIsWrittenBeforeItIsAnnouncedAndLaterBidsAreRefused() {
    // A soft close no bid triggers: bids stamped after the close but before the cap are judged, and refused.
    start(new AuctionRules(2, 100, 10, "EUR", 100, 500));
    driver.send("beijing", bid("a", 300, "beijing", 10), bid("b", 200, "beijing", 20));
    driver.send("shanghai", bid("c", 250, "shanghai", 15));
    driver.watermarks(CLOSE - 1, "beijing", "shanghai");
    driver.persistAll();
    assertEquals(List.of(), persistedCloses(), "a bid stamped CLOSE - 1 could still come: nothing closes");
    driver.watermark("beijing", CLOSE);
    driver.watermark("shanghai", CLOSE);
    assertEquals(1, persistedCloses().size(), "the frontier reached the close with nothing pending");
    assertEquals(List.of(), announced(), "not told before the store holds it");
    // A bid stamped at the close is received while the result is being written: it waits.
    driver.send("beijing", bid("d", 900, "beijing", CLOSE + 5));
    driver.watermarks(CLOSE + 10, "beijing", "shanghai");
    assertEquals(0, driver.unpersistedBatches(), "nothing of the event is written while its close is");
    settle(driver);
    AuctionClose result = announced().get(0);
    assertEquals(List.of("a", "c"), ids(result.winners()), "the 2 best, best first");
    assertEquals(BidAnswer.CLOSED, verdict("d").answer(), "however high, a bid after the close is refused");
    EventStatus closed = driver.status();
    assertEquals(List.of(4L, 2L, 2L, 2L, 0L), List.of(closed.decisions(), closed.wins(), closed.unitsSold(),
        closed.losses(), closed.remainingStock()), "decisions, wins, units sold, losses, left: the winners won");
    assertEquals(closed, EventStatus.of(driver.store.head(SequencerDriver.EVENT)), "the same once only the store holds it");
  }

  /**
   * A soft close's regions take bids until the cap, so bids stamped past the close may keep coming,
   * one stable by the time each batch is stored. The close is written as soon as it is due, before
   * them: a steady stream of late bids never holds the result back.
   */
  @Test
  void aSteadyStreamOfBidsPastTheCloseDoesNotHoldTheResultBack() {
    start(new AuctionRules(1, 100, 10, "EUR", 100, 10_000));
    driver.send("beijing", bid("a", 300, "beijing", 10));
    driver.watermarks(CLOSE - 200, "beijing", "shanghai");
    driver.persistAll();
    for (int i = 1; i <= 5 && persistedCloses().isEmpty(); i++) {
      driver.send("beijing", bid("late" + i, 500 + i, "beijing", CLOSE + 10L * i));
      driver.watermarks(CLOSE + 10L * i + 5, "beijing", "shanghai");
      if (i > 1) driver.persistNext(); // the last bid's batch is stored with this one already stable
    }
    assertEquals(1, persistedCloses().size(), "closed with bids past it still coming");
    assertEquals(List.of("a"), driver.decidedOrder(), "no bid past the close was judged before it");
    settle(driver);
    assertEquals(List.of("a"), ids(announced().get(0).winners()));
    assertEquals(BidAnswer.CLOSED, verdict("late1").answer(), "judged after the close, refused");
  }

  @Test
  void softCloseExtendsTheCloseByTheWindowUpToTheCap() {
    // Window 100 us, cap 150 us past the end: the close may move to 1100 and then 1150, no further.
    start(new AuctionRules(1, 100, 10, "EUR", 100, 150));
    driver.send("beijing",
        bid("early", 200, "beijing", 500), // outside the window: close stays 1000
        bid("snipe1", 300, "beijing", 950), // within 100 of 1000: close 1100
        bid("snipe2", 400, "beijing", 1050), // within 100 of 1100: close 1150 (capped from 1200)
        bid("snipe3", 500, "beijing", 1149)); // within the window, but the cap holds the close at 1150
    List<Effect> past = driver.send("beijing", bid("after", 600, "beijing", 1150));
    assertEquals(1, SequencerDriver.of(past, Effect.RejectTicket.class).size(), "at the latest close: refused on arrival");
    driver.watermarks(2_000, "beijing", "shanghai");
    settle(driver);
    assertEquals(new BidVerdict(BidAnswer.ACCEPTED, 0, CLOSE), verdict("early"));
    assertEquals(new BidVerdict(BidAnswer.ACCEPTED, 0, 1_100), verdict("snipe1"));
    assertEquals(new BidVerdict(BidAnswer.ACCEPTED, 0, 1_150), verdict("snipe2"));
    assertEquals(new BidVerdict(BidAnswer.ACCEPTED, 0, 1_150), verdict("snipe3"));
    assertEquals(1_150, persistedCloses().get(0).closeMicros());
    assertEquals(List.of("snipe3"), ids(persistedCloses().get(0).winners()));
  }

  @Test
  void aBidThatIsNotAcceptedDoesNotExtendTheClose() {
    start(new AuctionRules(1, 100, 10, "EUR", 100, 1_000));
    driver.send("beijing", bid("a", 200, "beijing", 500), bid("low", 205, "beijing", 990), bid("b", 300, "beijing", 1_001));
    driver.watermarks(2_000, "beijing", "shanghai");
    settle(driver);
    assertEquals(new BidVerdict(BidAnswer.OUTBID, 210, CLOSE), verdict("low"));
    assertEquals(BidAnswer.CLOSED, verdict("b").answer(), "the close stayed at 1000");
    assertEquals(List.of("a"), ids(persistedCloses().get(0).winners()));
  }

  @Test
  void aRegionLeftOutForSilenceHoldsTheCloseUntilItSpeaksAndItsBidStampedBeforeTheCloseCounts() {
    start(AuctionRules.hardClose(1, 100, 10, "EUR"));
    driver.send("beijing", bid("b", 200, "beijing", 100));
    driver.watermark("beijing", CLOSE + 10);
    driver.tick(3_000_000); // shanghai silent past the region timeout: left out of the frontier
    driver.watermark("beijing", CLOSE + 20);
    settle(driver);
    assertEquals(List.of("b"), driver.decidedOrder(), "beijing's bid is judged without waiting for shanghai");
    assertEquals(List.of(), persistedCloses(), "but the close waits for the silent region");
    driver.tick(60_000_000);
    driver.watermark("beijing", CLOSE + 30);
    assertEquals(List.of(), persistedCloses(), "without a ticket age bound, however long it is silent");
    driver.send("shanghai", bid("s", 900, "shanghai", 500)); // back, with a bid stamped before the close
    driver.watermark("shanghai", CLOSE + 40);
    settle(driver);
    assertEquals(BidAnswer.ACCEPTED, verdict("s").answer(), "a bid stamped before the close counts, however late");
    assertEquals(List.of("s"), ids(announced().get(0).winners()));
  }

  /** Three seconds pass (past the 2 s region timeout) with {@code talking} heard every half second. */
  private static void keepTalking(SequencerDriver d, String... talking) {
    for (int i = 1; i <= 6; i++) {
      d.watermarks(i, talking);
      d.tick(500_000);
    }
  }

  @Test
  void aNodeSilentPastTheTimeoutBeforeAnAuctionWasMadeDoesNotHoldItsCloseButJoinsItWhenHeard() {
    long maxAgeMicros = 10_000_000;
    SequencerDriver d = new SequencerDriver(SequencerDriver.EXACT_STAMPS.withMaxTicketAgeMicros(maxAgeMicros));
    // A node an earlier leader recorded (or one scaled in) that never speaks to this one.
    d.sequencer.regionNodesRecorded(List.of("shanghai/gone"), d.nowMicros);
    d.connect("beijing", "shanghai");
    keepTalking(d, "beijing", "shanghai"); // shanghai/gone left out for silence
    d.add(auction(AuctionRules.hardClose(1, 100, 10, "EUR")));
    d.send("beijing", bid("b", 200, "beijing", 100));
    d.watermarks(CLOSE + 10, "beijing", "shanghai");
    settle(d);
    AuctionClose result = SequencerDriver.of(d.effects, Effect.AnnounceAuctionClose.class).get(0).close();
    assertEquals(List.of("b"), ids(result.winners()), "closed once the live nodes passed it, not 10 s later");

    SequencerDriver e = new SequencerDriver(SequencerDriver.EXACT_STAMPS.withMaxTicketAgeMicros(maxAgeMicros));
    e.sequencer.regionNodesRecorded(List.of("shanghai/back"), e.nowMicros);
    e.connect("beijing", "shanghai");
    keepTalking(e, "beijing", "shanghai");
    e.add(auction(AuctionRules.hardClose(1, 100, 10, "EUR")));
    e.connect("shanghai/back"); // heard again: it joins the auction made while it was silent
    e.watermarks(CLOSE + 10, "beijing", "shanghai");
    settle(e);
    assertEquals(List.of(), SequencerDriver.of(e.effects, Effect.PersistAuctionClose.class),
        "the node back holds the close until it passes it");
    e.watermark("shanghai/back", CLOSE + 10);
    settle(e);
    assertEquals(1, SequencerDriver.of(e.effects, Effect.AnnounceAuctionClose.class).size());
  }

  @Test
  void aSilentRegionIsGoneForTheCloseOnlyOnceABidItHeldBackWouldBeRefusedAnyway() {
    long maxAgeMicros = 10_000_000;
    SequencerDriver d = new SequencerDriver(SequencerDriver.EXACT_STAMPS.withMaxTicketAgeMicros(maxAgeMicros));
    d.add(auction(AuctionRules.hardClose(1, 100, 10, "EUR")));
    d.connect("beijing", "shanghai");
    d.send("beijing", bid("b", 200, "beijing", 100));
    d.watermark("beijing", CLOSE + 10);
    d.tick(3_000_000); // shanghai left out of the frontier
    d.watermark("beijing", CLOSE + 20);
    settle(d);
    assertEquals(List.of(), SequencerDriver.of(d.effects, Effect.PersistAuctionClose.class), "not gone yet");
    // Past the close by the age bound plus the tolerated skew (5 ms): nothing it stamped before the close would rank now.
    d.nowMicros = CLOSE + maxAgeMicros + 5_000 + 1;
    d.watermark("beijing", CLOSE + 30);
    settle(d);
    AuctionClose result = SequencerDriver.of(d.effects, Effect.AnnounceAuctionClose.class).get(0).close();
    assertEquals(List.of("b"), ids(result.winners()), "closed without the region gone silent");
    d.send("shanghai", bid("s", 900, "shanghai", 500));
    settle(d);
    assertEquals(LossReason.STAMP_OUT_OF_BOUNDS, d.store.decision(SequencerDriver.EVENT, "s").lossReason(),
        "held back past the bound: refused as such, as it would have been before the close");
  }

  /**
   * Every region of the auction falls silent before its close (a node down, or every link to the
   * arbiter): the close still comes once the age bound has passed it, on time alone.
   */
  @Test
  void anAuctionWhoseRegionsAllFellSilentClosesOnTimeAlone() {
    long maxAgeMicros = 10_000_000;
    SequencerDriver d = new SequencerDriver(SequencerDriver.EXACT_STAMPS.withMaxTicketAgeMicros(maxAgeMicros));
    d.add(auction(AuctionRules.hardClose(1, 100, 10, "EUR")));
    d.connect("beijing", "shanghai");
    d.send("beijing", bid("b", 200, "beijing", 100));
    d.watermark("shanghai", 200);
    settle(d);
    while (d.nowMicros <= CLOSE + maxAgeMicros + 5_000) {
      d.tick(100_000); // nobody speaks from here on
      settle(d);
      if (d.nowMicros <= CLOSE + maxAgeMicros + 5_000) {
        assertEquals(List.of(), SequencerDriver.of(d.effects, Effect.PersistAuctionClose.class),
            "not before the age bound (and the 5 ms skew) has passed the close");
      }
    }
    d.tick(100_000);
    settle(d);
    List<Effect.AnnounceAuctionClose> closes = SequencerDriver.of(d.effects, Effect.AnnounceAuctionClose.class);
    assertEquals(1, closes.size(), "closed with no region speaking");
    assertEquals(List.of("b"), ids(closes.get(0).close().winners()));
  }

  @Test
  void aRegionWhoseWatermarkStandsStillBeforeTheCloseHoldsItByTheAgeBoundAtMost() {
    long maxAgeMicros = 10_000_000;
    SequencerDriver d = new SequencerDriver(SequencerDriver.EXACT_STAMPS.withMaxTicketAgeMicros(maxAgeMicros));
    d.add(auction(AuctionRules.hardClose(1, 100, 10, "EUR")));
    d.connect("beijing", "shanghai");
    d.send("beijing", bid("b", 200, "beijing", 100));
    // shanghai keeps speaking, so it is never timed out, but its watermark never passes the close.
    while (d.nowMicros <= CLOSE + maxAgeMicros + 5_000) {
      d.watermark("shanghai", 500);
      d.watermark("beijing", d.nowMicros);
      settle(d);
      assertEquals(List.of(), SequencerDriver.of(d.effects, Effect.PersistAuctionClose.class),
          "not before the age bound (and the 5 ms skew) has passed the close");
      d.tick(100_000);
    }
    d.watermark("shanghai", 500);
    settle(d);
    AuctionClose result = SequencerDriver.of(d.effects, Effect.AnnounceAuctionClose.class).get(0).close();
    assertEquals(List.of("b"), ids(result.winners()), "closed: a bid it stamped before the close would be refused now");
  }

  @Test
  void winnersAreTheNBestByAmountThenStampOverRandomBidsInAnyArrivalOrder() {
    for (long seed = 1; seed <= 300; seed++) {
      Random random = new Random(seed);
      SequencerDriver d = new SequencerDriver();
      int units = 1 + random.nextInt(3);
      long increment = 1 + random.nextInt(20);
      long window = random.nextBoolean() ? 0 : 1 + random.nextInt(200);
      AuctionRules rules = new AuctionRules(units, 100, increment, "EUR", window, window == 0 ? 0 : random.nextInt(400));
      EventSpec spec = auction(rules);
      d.add(spec);
      d.connect("beijing", "shanghai");
      List<Ticket> all = new ArrayList<>();
      for (String region : List.of("beijing", "shanghai")) {
        long stamp = region.equals("beijing") ? 0 : 1; // no equal stamps: the oracle orders by stamp alone
        List<Ticket> mine = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          stamp += 2 * (1 + random.nextInt(60));
          mine.add(Ticket.bid(SequencerDriver.EVENT, region + i, "u" + random.nextInt(5), 50 + random.nextInt(400), region,
              stamp, 0));
        }
        all.addAll(mine);
        // Each region sends in a few chunks, interleaved with the other region's chunks.
        int cut = random.nextInt(mine.size());
        d.send(region, mine.subList(0, cut).toArray(Ticket[]::new));
        d.persistAll();
        d.send(region, mine.subList(cut, mine.size()).toArray(Ticket[]::new));
      }
      d.watermarks(10_000, "beijing", "shanghai");
      settle(d);
      AuctionClose close = SequencerDriver.of(d.effects, Effect.PersistAuctionClose.class).get(0).close();
      String context = "seed=" + seed + " " + rules;
      assertEquals(expectedWinners(spec, all), ids(close.winners()), context);
      for (Decision decision : d.store.decisions(SequencerDriver.EVENT)) {
        boolean accepted = decision.bid().orElseThrow().answer() == BidAnswer.ACCEPTED;
        assertTrue(!accepted || decision.ticket().stampMicros() < close.closeMicros(), "accepted after close " + context);
      }
      assertEquals(all.stream().filter(t -> t.stampMicros() < spec.latestCloseMicros()).count(),
          d.store.decisions(SequencerDriver.EVENT).size(), "every bid in the window decided once " + context);
    }
  }

  @Test
  void watchersAreToldEachStoredChangeOfTheStandingBidsAndNothingElse() {
    start(AuctionRules.hardClose(1, 100, 10, "EUR"));
    driver.send("beijing", bid("a", 200, "beijing", 100));
    driver.watermarks(150, "beijing", "shanghai");
    assertEquals(List.of(), standingsTold(), "not before the batch is stored");
    driver.persistAll();
    driver.send("shanghai", bid("low", 205, "shanghai", 200)); // OUTBID: nothing stands differently
    driver.watermarks(250, "beijing", "shanghai");
    driver.persistAll();
    driver.send("beijing", bid("b", 300, "beijing", 300));
    driver.watermarks(CLOSE + 10, "beijing", "shanghai");
    settle(driver);
    assertEquals(List.of(List.of("a"), List.of("b")), standingsTold().stream().map(s -> ids(s.bids())).toList());
    assertEquals(List.of("b"), ids(announced().get(0).winners()), "then the result");
  }

  private List<flashsale.sale.AuctionStanding> standingsTold() {
    return SequencerDriver.of(driver.effects, Effect.AuctionStandingChanged.class).stream()
        .map(Effect.AuctionStandingChanged::standing).toList();
  }

  @Test
  void aNewLeaderResumesMidAuctionFromTheStoreAndEndsWithTheSameAnswersAndResult() {
    for (long seed = 1; seed <= 200; seed++) {
      Random random = new Random(seed);
      long window = random.nextBoolean() ? 0 : 1 + random.nextInt(200);
      AuctionRules rules = new AuctionRules(1 + random.nextInt(3), 100, 1 + random.nextInt(20), "EUR", window,
          window == 0 ? 0 : random.nextInt(400));
      EventSpec spec = auction(rules);
      Map<String, List<Ticket>> bids = new LinkedHashMap<>();
      for (String region : List.of("beijing", "shanghai")) {
        long stamp = region.equals("beijing") ? 0 : 1;
        List<Ticket> mine = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          stamp += 2 * (1 + random.nextInt(60));
          mine.add(Ticket.bid(SequencerDriver.EVENT, region + i, "u" + random.nextInt(5), 50 + random.nextInt(400), region,
              stamp, 0));
        }
        bids.put(region, mine);
      }
      String context = "seed=" + seed + " " + rules;

      SequencerDriver calm = new SequencerDriver();
      calm.add(spec);
      calm.connect("beijing", "shanghai");
      bids.forEach((region, mine) -> calm.send(region, mine.toArray(Ticket[]::new)));
      calm.watermarks(10_000, "beijing", "shanghai");
      settle(calm);

      // The first leader judges what each region sent first; what follows is still unwritten when it dies.
      SequencerDriver first = new SequencerDriver();
      first.add(spec);
      first.connect("beijing", "shanghai");
      Map<String, Integer> sentFirst = new LinkedHashMap<>();
      bids.forEach((region, mine) -> sentFirst.put(region, random.nextInt(mine.size())));
      sentFirst.forEach((region, n) -> first.send(region, bids.get(region).subList(0, n).toArray(Ticket[]::new)));
      long nextStamp = sentFirst.entrySet().stream()
          .mapToLong(e -> bids.get(e.getKey()).get(e.getValue()).stampMicros()).min().orElseThrow();
      long promised = random.nextLong(nextStamp); // below each region's next bid
      first.watermarks(promised, "beijing", "shanghai");
      if (random.nextBoolean()) settle(first);
      else first.persistAll();
      sentFirst.forEach((region, n) -> {
        List<Ticket> mine = bids.get(region);
        first.send(region, mine.subList(n, mine.size()).toArray(Ticket[]::new));
      });
      first.watermarks(promised + random.nextInt(2 * (int) spec.latestCloseMicros()), "beijing", "shanghai"); // lost

      // The next leader loads the head; the regions send every bid they hold again, then go on.
      SequencerDriver next = new SequencerDriver(SequencerDriver.EXACT_STAMPS, first.store);
      next.addFromStore(SequencerDriver.EVENT);
      next.connect("beijing", "shanghai");
      bids.forEach((region, mine) -> next.send(region, mine.toArray(Ticket[]::new)));
      next.watermarks(10_000, "beijing", "shanghai");
      settle(next);

      for (Ticket t : bids.values().stream().flatMap(List::stream).toList()) {
        Decision expected = calm.store.decision(SequencerDriver.EVENT, t.requestId());
        Decision got = next.store.decision(SequencerDriver.EVENT, t.requestId());
        assertEquals(expected == null ? null : expected.bid(), got == null ? null : got.bid(), t.requestId() + " " + context);
      }
      assertEquals(calm.store.auctionClose(SequencerDriver.EVENT).orElseThrow(),
          next.store.auctionClose(SequencerDriver.EVENT).orElseThrow(), context);
    }
  }

  @Test
  void aNewLeaderOfAClosedAuctionRefusesLaterBidsAndKeepsTheResult() {
    start(new AuctionRules(1, 100, 10, "EUR", 100, 500)); // a bid stamped after the close may still be judged
    driver.send("beijing", bid("b", 200, "beijing", 100));
    driver.watermarks(CLOSE + 10, "beijing", "shanghai");
    settle(driver);
    AuctionClose result = announced().get(0);

    SequencerDriver next = new SequencerDriver(SequencerDriver.EXACT_STAMPS, driver.store);
    next.addFromStore(SequencerDriver.EVENT);
    next.connect("beijing", "shanghai");
    next.send("shanghai", bid("s", 900, "shanghai", CLOSE + 5));
    next.watermarks(CLOSE + 20, "beijing", "shanghai");
    settle(next);
    assertEquals(BidAnswer.CLOSED, next.store.decision(SequencerDriver.EVENT, "s").bid().orElseThrow().answer());
    assertEquals(List.of(), SequencerDriver.of(next.effects, Effect.PersistAuctionClose.class), "closed once");
    assertEquals(java.util.Optional.of(result), next.sequencer.auctionResult(SequencerDriver.EVENT));
  }

  /** An oracle written apart from AuctionBook: replay the rule over the bids sorted by stamp. */
  private static List<String> expectedWinners(EventSpec spec, List<Ticket> bids) {
    AuctionRules rules = spec.auction().orElseThrow();
    Comparator<Ticket> best = Comparator.comparingLong(Ticket::bidMinor).reversed().thenComparingLong(Ticket::stampMicros);
    List<Ticket> standing = new ArrayList<>();
    long close = spec.endMicros();
    for (Ticket t : bids.stream().sorted(Comparator.comparingLong(Ticket::stampMicros)).toList()) {
      if (t.stampMicros() >= close) continue;
      long toBeat = standing.size() < rules.units() ? rules.reservePriceMinor()
          : Math.max(rules.reservePriceMinor(), standing.get(standing.size() - 1).bidMinor() + rules.minIncrementMinor());
      if (t.bidMinor() < toBeat) continue;
      standing.add(t);
      standing.sort(best);
      if (standing.size() > rules.units()) standing.remove(standing.size() - 1);
      if (rules.softCloseWindowMicros() > 0 && t.stampMicros() >= close - rules.softCloseWindowMicros()) {
        close = Math.min(close + rules.softCloseWindowMicros(), spec.latestCloseMicros());
      }
    }
    return ids(standing);
  }
}
