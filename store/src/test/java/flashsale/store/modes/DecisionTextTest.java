package flashsale.store.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import org.junit.jupiter.api.Test;

/** A pool decision as modes.lua stores it reads back, a loss reason from a newer build's function too. */
class DecisionTextTest {
  @Test
  void aStoredLossReadsWithItsReason() {
    Decision d = DecisionText.parse("e", "r1", "SOLD_OUT 3 1796000000000000 ann 1 eu 1795999999000000");
    assertEquals(Outcome.LOST, d.outcome());
    assertEquals(LossReason.SOLD_OUT, d.lossReason());
    assertEquals(3, d.rank());
  }

  /** During a rolling upgrade: read as OTHER, where valueOf threw and the buyer's call failed. */
  @Test
  void aLossReasonOfANewerBuildReadsAsOther() {
    Decision d = DecisionText.parse("e", "r1", "RESERVED_FOR_VIP 4 1796000000000000 ann 1 eu 1795999999000000");
    assertEquals(Outcome.LOST, d.outcome());
    assertEquals(LossReason.OTHER, d.lossReason());
  }
}
