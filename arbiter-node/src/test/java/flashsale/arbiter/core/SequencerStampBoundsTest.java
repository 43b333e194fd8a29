package flashsale.arbiter.core;

import static flashsale.arbiter.core.SequencerDriver.ticket;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A ticket's stamp is bounded below as well as above: a region (or whoever holds its certificate)
 * cannot back-date a purchase past what it already promised, nor hold one back longer than the
 * age bound, to rank it ahead of buyers who came on time.
 */
class SequencerStampBoundsTest {
  private static final long MAX_AGE_MICROS = 10_000_000;
  // The driver's clock starts at 1 s; stamps here are read in the same time line.
  private final SequencerDriver driver = new SequencerDriver(
      new SequencerConfig(64, 5_000, 1_000_000, 2_000_000, 0).withMaxTicketAgeMicros(MAX_AGE_MICROS));

  @Test
  void aTicketBelowTheRegionsEarlierPromiseOnANewStreamIsRefusedAndTheOnTimeOnesWin() {
    driver.add(SequencerDriver.spec(1, 1, 7, "near", "far"));
    driver.connect("near", "far");
    driver.watermarks(900_000, "near", "far");
    driver.send("far", ticket("f-on-time", "far", 950_000));
    // near reconnects (a new stream resets the per-stream order check) and sends a ticket stamped
    // before the watermark it had promised on its earlier stream.
    driver.connect("near");
    driver.send("near", ticket("n-backdated", "near", 800_000));
    driver.watermark("near", 1_000_000);
    driver.persistAll();
    Decision backdated = driver.toldTo("near").get(0);
    assertEquals(Outcome.LOST, backdated.outcome(), "it takes no stock, though stamped first");
    assertEquals(LossReason.STAMP_OUT_OF_BOUNDS, backdated.lossReason());
    assertTrue(backdated.late());
    Decision onTime = driver.toldTo("far").get(0);
    assertEquals(Outcome.WON, onTime.outcome(), "the one unit goes to the buyer who came on time");
  }

  @Test
  void aTicketOlderThanTheAgeBoundIsRefusedEvenOnAFreshLeader() {
    driver.add(SequencerDriver.spec(1, 1, 7, "near"));
    driver.connect("near"); // no watermark heard yet: only the age bound applies
    driver.tick(MAX_AGE_MICROS + 10_000); // the arbiter's clock: 11.01 s
    long tooOld = driver.nowMicros - MAX_AGE_MICROS - 1;
    driver.send("near", ticket("n-old", "near", tooOld));
    driver.persistAll();
    Decision old = driver.toldTo("near").get(0);
    assertEquals(LossReason.STAMP_OUT_OF_BOUNDS, old.lossReason());
  }

  @Test
  void theAgeIsReadInTheRegionsTimeThroughItsMeasuredOffset() {
    driver.add(SequencerDriver.spec(1, 1, 7, "slow"));
    driver.connect("slow");
    driver.tick(MAX_AGE_MICROS + 10_000);
    driver.clock("slow", -4_000, 100); // its clock runs 4 ms behind the arbiter's: within the skew bound
    long justWithin = driver.nowMicros - 4_000 - MAX_AGE_MICROS;
    driver.send("slow", ticket("s1", "slow", justWithin));
    driver.persistAll();
    assertEquals(Outcome.WON, driver.toldTo("slow").get(0).outcome(), "as old as allowed in its own time: ranked");
  }

  /**
   * A region whose watermark stands still while it keeps speaking (a bug, or whoever holds its
   * certificate) is never timed out for silence; it holds the other regions' purchases back by the
   * age bound at most: any ticket it sends later stamped before theirs is refused as held back.
   */
  @Test
  void aRegionWhoseWatermarkStandsStillHoldsTheOthersBackByTheAgeBoundAtMost() {
    long skewMicros = 5_000; // the driver's config
    driver.add(SequencerDriver.spec(1, 1, 7, "stuck", "honest"));
    driver.connect("stuck", "honest");
    long stuckAtMicros = driver.nowMicros;
    driver.watermarks(stuckAtMicros, "stuck", "honest");
    long honestStampMicros = driver.nowMicros + 100_000;
    driver.tick(101_000);
    driver.send("honest", ticket("h1", "honest", honestStampMicros));
    long decidedAtMicros = -1;
    for (int beat = 0; beat < 150 && decidedAtMicros < 0; beat++) { // 100 ms heartbeats for 15 s
      driver.tick(100_000);
      driver.watermark("stuck", stuckAtMicros);
      driver.watermark("honest", driver.nowMicros);
      driver.persistAll();
      if (!driver.toldTo("honest").isEmpty()) decidedAtMicros = driver.nowMicros;
    }
    assertTrue(decidedAtMicros > 0, "the honest purchase was never decided while a region's watermark stood still");
    long heldMicros = decidedAtMicros - honestStampMicros;
    assertTrue(heldMicros > MAX_AGE_MICROS + skewMicros && heldMicros <= MAX_AGE_MICROS + skewMicros + 100_000,
        "held back " + heldMicros + " us: the age bound and skew, and a heartbeat");
    assertEquals(Outcome.WON, driver.toldTo("honest").get(0).outcome());

    driver.nowMicros -= 200_000; // the arbiter's clock steps back (an NTP correction)
    driver.send("stuck", ticket("s-held", "stuck", honestStampMicros - 20_000)); // stamped first, sent now
    driver.watermark("stuck", driver.nowMicros);
    driver.persistAll();
    assertEquals(LossReason.STAMP_OUT_OF_BOUNDS, driver.toldTo("stuck").get(0).lossReason(),
        "it can no longer be ranked ahead of the purchase released before it came, the clock stepped back or not");
  }

  /** The liar sends a ticket stamped at {@code backDatedStampMicros}, honest one stamped 1 ms ago; both are decided. */
  private void bothSendAndAreDecided(long backDatedStampMicros) {
    driver.send("liar", ticket("l-old", "liar", backDatedStampMicros));
    driver.send("honest", ticket("h1", "honest", driver.nowMicros - 1_000));
    driver.watermarks(driver.nowMicros, "liar", "honest");
    driver.persistAll();
  }

  /** An hour into a sale between "liar" and "honest", the liar reports this clock offset and round trip. */
  private void anHourInLiarReports(long offsetMicros, long roundTripMicros) {
    driver.add(SequencerDriver.spec(1, 1, 7, "liar", "honest"));
    driver.connect("liar", "honest");
    driver.tick(3_600_000_000L);
    driver.clock("liar", offsetMicros, roundTripMicros);
  }

  /**
   * A region reports its own clock probes: an offset of hours excused by a round trip of hours
   * would read its time hours back, and a ticket back-dated by as much would pass the age bound.
   * Such a round trip measures nothing: the region is flagged and its tickets are not ranked.
   */
  @Test
  void aRoundTripOfHoursExcusesNoOffsetAndNoBackDatedTicket() {
    anHourInLiarReports(-3_600_000_000L, 7_200_000_000L);
    bothSendAndAreDecided(driver.nowMicros - 3_600_000_000L + 1_000);
    assertTrue(driver.toldTo("liar").stream().noneMatch(Decision::won), "the back-dated ticket takes nothing: "
        + driver.toldTo("liar"));
    assertEquals(Outcome.WON, driver.toldTo("honest").get(0).outcome(), "the buyer who came on time wins");
  }

  /** Under the 10 s cap a round trip still excuses an offset from the flag, but not from the age bound. */
  @Test
  void anOffsetExcusedByItsRoundTripStillBuysNoBackDating() {
    anHourInLiarReports(-4_500_000, 9_000_000); // 4.5 s off, excused by a 9 s round trip: not flagged
    bothSendAndAreDecided(driver.nowMicros - MAX_AGE_MICROS - 4_000_000);
    assertEquals(LossReason.STAMP_OUT_OF_BOUNDS, driver.toldTo("liar").get(0).lossReason(),
        "14 s old by the arbiter's clock, 9.5 s in the time the liar claims");
    assertEquals(Outcome.WON, driver.toldTo("honest").get(0).outcome());
  }

  @Test
  void aResendOfAKnownTicketBelowThePromiseIsStillAnswered() {
    driver.add(SequencerDriver.spec(2, 1, 7, "near"));
    driver.connect("near");
    driver.send("near", ticket("n1", "near", 950_000));
    driver.watermark("near", 990_000);
    driver.persistAll();
    driver.connect("near"); // reconnect: the region resends what it has not heard back about
    List<Effect> out = driver.send("near", ticket("n1", "near", 950_000));
    assertEquals(0, SequencerDriver.of(out, Effect.RejectTicket.class).size(), out.toString());
    assertEquals(1, SequencerDriver.of(out, Effect.SendDecisions.class).size(), "answered with its decision");
  }
}
