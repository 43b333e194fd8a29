package flashsale.arbiter.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.NearTieLottery;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Near-ties: tickets of different regions whose uncertainty intervals overlap are ordered by the
 * event's lottery; outside the band the earlier stamp always wins; and the revealed seed lets anyone
 * recompute every draw from the decided order.
 */
class SequencerNearTieTest {
  private static final long CAP_MICROS = 1_000;
  private static final long BOUND_MICROS = 500;
  private static final SequencerConfig CONFIG = new SequencerConfig(1024, 5_000, 1_000_000, 2_000_000, CAP_MICROS);
  private static final long BASE_MICROS = 500_000; // before the driver's clock (1 s): no stamp from the future
  private static final int TRIALS = 1_000;

  @Test
  void insideEachOthersBandsWinsSplitEvenlyOverSeededTrials() {
    Random random = new Random(20261201);
    int nearWins = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
      long gapMicros = random.nextLong(-2 * BOUND_MICROS, 2 * BOUND_MICROS + 1); // |gap| <= bound + bound
      List<Decision> decided = oneUnitBetween(random.nextLong(), gapMicros, trial);
      Decision won = decided.stream().filter(Decision::won).findFirst().orElseThrow();
      if (won.ticket().region().equals("near")) nearWins++;
      // The winner's place was drawn; the loser then loses to the empty stock without being ranked.
      assertTrue(won.nearTie(), "the win was drawn: " + decided);
    }
    double nearShare = nearWins / (double) TRIALS;
    System.out.printf("near-tie trials: near won %d of %d (%.1f %%)%n", nearWins, TRIALS, 100 * nearShare);
    assertTrue(Math.abs(nearShare - 0.5) <= 0.05, "near won " + nearWins + " of " + TRIALS + " near-ties");
  }

  @Test
  void outsideTheBandTheEarlierStampWinsEveryTime() {
    Random random = new Random(7);
    for (int trial = 0; trial < TRIALS; trial++) {
      long magnitude = random.nextLong(2 * BOUND_MICROS + 1, 20_000);
      long gapMicros = random.nextBoolean() ? magnitude : -magnitude;
      List<Decision> decided = oneUnitBetween(random.nextLong(), gapMicros, trial);
      Decision won = decided.stream().filter(Decision::won).findFirst().orElseThrow();
      assertEquals(gapMicros > 0 ? "near" : "far", won.ticket().region(), "gap " + gapMicros + " us");
      assertFalse(decided.stream().anyMatch(Decision::nearTie), "stamps alone ordered " + decided);
    }
  }

  @Test
  void theRevealedSeedRecomputesEveryDrawInTheDecidedOrder() {
    long seed = 0x5EEDL;
    String published = NearTieLottery.commitment(SequencerDriver.EVENT, seed);
    SequencerDriver driver = new SequencerDriver(CONFIG);
    driver.add(SequencerDriver.spec(300, 1, seed, "near", "far")); // most of the 400 win: many draws to check
    driver.connect("near", "far");
    Random random = new Random(11);
    List<Ticket> near = burst("near", random);
    List<Ticket> far = burst("far", random);
    while (!near.isEmpty() || !far.isEmpty()) { // interleaved arrival at the arbiter
      List<Ticket> from = near.isEmpty() ? far : far.isEmpty() || random.nextBoolean() ? near : far;
      Ticket next = from.remove(0);
      driver.send(next.region(), next);
      driver.persistAll();
    }
    driver.watermarks(BASE_MICROS + 400_000, "near", "far");
    driver.persistAll();

    // The auditor: the seed revealed after the event, checked against the commitment, replays the draws.
    long revealed = Long.parseUnsignedLong(NearTieLottery.seedHex(seed), 16);
    assertEquals(published, NearTieLottery.commitment(SequencerDriver.EVENT, revealed));
    List<Decision> ranked = driver.store.decisions(SequencerDriver.EVENT);
    int drawsChecked = 0;
    // Up to the last win: once the stock is gone, waiting tickets lose as they come, unranked by stamp.
    int lastWin = (int) ranked.stream().filter(Decision::won).mapToLong(Decision::rank).max().orElse(0);
    for (int i = 1; i < lastWin; i++) {
      Ticket before = ranked.get(i - 1).ticket();
      Ticket after = ranked.get(i).ticket();
      if (NearTieLottery.nearTie(before, after)) {
        assertTrue(NearTieLottery.drawsFirst(revealed, before, after), "draw of " + before + " vs " + after
            + " around " + ranked.subList(Math.max(0, i - 4), Math.min(ranked.size(), i + 3)));
        assertTrue(ranked.get(i - 1).nearTie() && ranked.get(i).nearTie(), "flagged as settled by the band: "
            + ranked.subList(Math.max(0, i - 3), Math.min(ranked.size(), i + 2)));
        drawsChecked++;
      } else {
        assertTrue(before.stampMicros() < after.stampMicros(), before + " ranked before " + after);
      }
    }
    assertTrue(drawsChecked >= 20, "only " + drawsChecked + " near-ties in the burst: the test checks too little");
  }

  /** One unit; a near ticket at BASE and a far one {@code gapMicros} later; both regions then pass both. */
  private static List<Decision> oneUnitBetween(long seed, long gapMicros, int trial) {
    SequencerDriver driver = new SequencerDriver(CONFIG);
    driver.add(SequencerDriver.spec(1, 1, seed, "near", "far"));
    driver.connect("near", "far");
    driver.send("near", ticket("n-" + trial, "near", BASE_MICROS));
    driver.send("far", ticket("f-" + trial, "far", BASE_MICROS + gapMicros));
    driver.watermarks(BASE_MICROS + 100_000, "near", "far");
    driver.persistAll();
    List<Decision> decided = driver.store.decisions(SequencerDriver.EVENT);
    assertEquals(2, decided.size(), decided.toString());
    return decided;
  }

  private static List<Ticket> burst(String region, Random random) {
    List<Ticket> tickets = new ArrayList<>();
    long stamp = BASE_MICROS;
    for (int i = 0; i < 200; i++) {
      stamp += 1 + random.nextInt(1_500);
      tickets.add(ticket(region + "-" + i, region, stamp));
    }
    return tickets;
  }

  private static Ticket ticket(String requestId, String region, long stampMicros) {
    return SequencerDriver.ticket(requestId, region, stampMicros).withErrorBound(BOUND_MICROS);
  }
}
