package flashsale.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.NearTieLottery;
import flashsale.sale.Outcome;
import flashsale.sale.StreamSource;
import flashsale.sale.Ticket;
import org.junit.jupiter.api.Test;

/**
 * The node of a region that stamped a ticket travels with its decision (the stored form is the
 * wire form), so an auditor can tell two nodes of one region apart when rechecking near-ties.
 */
class RegionNodeMappingTest {

  @Test
  void aDecisionKeepsItsRegionNodeThroughTheWireAndStoredForm() {
    Ticket ticket = new Ticket("e1", "r1", "u1", 1, "eu", 1_000, 200).withNode("eu-2");
    Decision decision = new Decision(ticket, Outcome.WON, LossReason.NONE, 7, 2_000, false);
    assertEquals("eu-2", WireMapping.toProto(decision).getRegionNode());
    assertEquals(decision, WireMapping.fromProto(WireMapping.toProto(decision)));
    assertEquals("eu/eu-2", ticket.source());
    assertEquals("eu", new Ticket("e1", "r1", "u1", 1, "eu", 1_000).source(), "a region's unnamed node keys as the region");
  }

  @Test
  void twoNodesOfOneRegionAreNearTiesAsTwoRegionsAreButOneNodeIsNeverItsOwn() {
    Ticket a = new Ticket("e1", "a", "ua", 1, "eu", 1_000, 200).withNode("eu-1");
    Ticket b = new Ticket("e1", "b", "ub", 1, "eu", 1_300, 200).withNode("eu-2");
    Ticket a2 = new Ticket("e1", "a2", "ua2", 1, "eu", 1_300, 200).withNode("eu-1");
    assertTrue(NearTieLottery.nearTie(a, b), "separate clocks: the band applies");
    assertFalse(NearTieLottery.nearTie(a, a2), "one stream: its own order holds");
    assertEquals("eu", StreamSource.regionOf(b.source()));
    assertEquals("eu-2", StreamSource.nodeOf(b.source()));
  }
}
