package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Tickets are decided in global stamp order, and only once every region has passed them. */
class SequencerOrderingTest {

  private static final String[] REGIONS = {"beijing", "shanghai", "frankfurt"};

  @Test
  void decidesInStampOrderAcrossInterleavedRegionsAndNeverBeforeEveryWatermarkPassed() {
    Random random = new Random(7);
    SequencerDriver driver = new SequencerDriver();
    driver.add(SequencerDriver.spec(1000, 1000, 42, REGIONS));
    driver.connect(REGIONS);
    Map<String, List<Ticket>> outbox = new HashMap<>();
    List<Ticket> all = new ArrayList<>();
    for (int r = 0; r < REGIONS.length; r++) {
      String region = REGIONS[r];
      List<Ticket> tickets = new ArrayList<>();
      long stamp = r;
      for (int i = 0; i < 40; i++) {
        stamp += REGIONS.length * (1 + random.nextInt(50));
        tickets.add(ticket(region + "-" + i, region, stamp));
      }
      outbox.put(region, tickets);
      all.addAll(tickets);
    }
    Map<String, Long> heard = new HashMap<>();
    while (outbox.values().stream().anyMatch(q -> !q.isEmpty())) {
      String region = REGIONS[random.nextInt(REGIONS.length)];
      List<Ticket> queue = outbox.get(region);
      if (queue.isEmpty()) continue;
      Ticket next = queue.remove(0);
      heard.put(region, next.stampMicros());
      driver.send(region, next);
      driver.persistAll();
      long frontier = heard.size() < REGIONS.length ? Long.MIN_VALUE : heard.values().stream().min(Long::compare).get();
      for (Decision decision : driver.store.decisions(SequencerDriver.EVENT)) {
        assertTrue(decision.ticket().stampMicros() <= frontier, "released " + decision + " above frontier " + frontier);
      }
    }
    driver.watermarks(1_000_000, REGIONS);
    driver.persistAll();
    // stamps are distinct (region r stamps r mod 3), so stamp order alone is the expected order
    all.sort(Comparator.comparingLong(Ticket::stampMicros));
    assertEquals(all.stream().map(Ticket::requestId).toList(), driver.decidedOrder());
  }

  @Test
  void anIdleRegionBlocksUntilItsHeartbeatPassesTheStamps() {
    SequencerDriver driver = new SequencerDriver();
    driver.add(SequencerDriver.spec(10, 1, 1, REGIONS));
    driver.connect(REGIONS);
    driver.send("beijing", ticket("b1", "beijing", 100), ticket("b2", "beijing", 300));
    driver.send("shanghai", ticket("s1", "shanghai", 200));
    driver.watermark("shanghai", 400);
    assertEquals(0, driver.unpersistedBatches(), "frankfurt never spoke, so nothing is stable");

    driver.watermark("frankfurt", 250);
    driver.persistAll();
    assertEquals(List.of("b1", "s1"), driver.decidedOrder());

    driver.watermark("frankfurt", 500);
    driver.persistAll();
    assertEquals(List.of("b1", "s1", "b2"), driver.decidedOrder());
  }

  @Test
  void equalStampsAreOrderedByKeyedHashNotByRegionOrArrival() {
    for (long seed = 0; seed < 50; seed++) {
      List<String> firstArrivesFirst = decideTie(seed, "beijing", "shanghai", false);
      assertEquals(firstArrivesFirst, decideTie(seed, "beijing", "shanghai", true), "seed=" + seed);
      List<String> regionsSwapped = decideTie(seed, "shanghai", "beijing", false);
      assertEquals(firstArrivesFirst, regionsSwapped, "region names must not decide a tie, seed=" + seed);
    }
  }

  @Test
  void overManySeedsNeitherRegionWinsTiesSystematically() {
    int seeds = 4000;
    int firstRegionWins = 0;
    for (long seed = 0; seed < seeds; seed++) {
      if (decideTie(seed, "beijing", "shanghai", false).get(0).equals("req-A")) firstRegionWins++;
    }
    double share = firstRegionWins / (double) seeds;
    assertTrue(share > 0.45 && share < 0.55, "beijing won " + share + " of equal-stamp ties");
  }

  /** Two regions each send one ticket at stamp 100 (req-A from the first region); returns the decided order. */
  private static List<String> decideTie(long seed, String regionA, String regionB, boolean bArrivesFirst) {
    SequencerDriver driver = new SequencerDriver();
    driver.add(SequencerDriver.spec(1, 1, seed, regionA, regionB));
    driver.connect(regionA, regionB);
    Ticket a = ticket("req-A", regionA, 100);
    Ticket b = ticket("req-B", regionB, 100);
    if (bArrivesFirst) driver.send(regionB, b);
    driver.send(regionA, a);
    if (!bArrivesFirst) driver.send(regionB, b);
    driver.persistAll();
    List<String> order = driver.decidedOrder();
    assertEquals(2, order.size(), "both stamps are at the frontier");
    assertTrue(driver.store.decisions(SequencerDriver.EVENT).get(0).won(), "the first of a tie gets the last unit");
    return order;
  }
}
