package flashsale.store.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import flashsale.sale.BidAnswer;
import flashsale.sale.BidVerdict;
import flashsale.sale.Decision;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The stored format is the store's own message, and it reads what earlier versions stored (the
 * API's {@code PurchaseDecision} without its event id) and writes the same bytes for the same
 * decision: the store compares stored bytes when a batch is retried, also by a newer version.
 */
class DecisionCodecTest {
  private static final String EVENT = "sale-1";

  private static List<Decision> everyKind() {
    var decisions = new ArrayList<Decision>();
    var exact = new Ticket(EVENT, "r-exact", "ann", 1, "near", 1_796_000_000_123_456L);
    decisions.add(new Decision(exact, Outcome.WON, LossReason.NONE, 1, 1_796_000_000_200_000L, false));
    var bounded = new Ticket(EVENT, "r-bounded", "bob", 3, "far", 1_796_000_000_123_457L, 812, List.of(), 0, "far-2");
    for (LossReason reason : List.of(LossReason.SOLD_OUT, LossReason.INSUFFICIENT_STOCK, LossReason.LIMIT_EXCEEDED,
        LossReason.STAMP_OUT_OF_BOUNDS, LossReason.NO_SLOT_AVAILABLE)) {
      decisions.add(new Decision(bounded, Outcome.LOST, reason, 7 + reason.ordinal(), 1_796_000_001_000_000L,
          reason == LossReason.STAMP_OUT_OF_BOUNDS, reason == LossReason.SOLD_OUT));
    }
    var reservation = new Ticket(EVENT, "r-slots", "cy", 2, "near", 5, 100, List.of("mon", "tue", "wed"), 0, "");
    decisions.add(new Decision(reservation, Outcome.WON, LossReason.NONE, 3, 9, false, true, "tue"));
    for (BidAnswer answer : BidAnswer.values()) {
      var bid = Ticket.bid(EVENT, "b-" + answer, "dee", 1_500, "far", 11, 40);
      long toBeat = answer == BidAnswer.OUTBID || answer == BidAnswer.TOO_LOW ? 1_600 : 0;
      decisions.add(Decision.ofBid(bid, new BidVerdict(answer, toBeat, 1_796_000_060_000_000L), 4, 12, false));
    }
    var lateBid = Ticket.bid(EVENT, "b-late", "eve", 900, "near", 13, 0);
    decisions.add(new Decision(lateBid, Outcome.LOST, LossReason.STAMP_OUT_OF_BOUNDS, 5, 14, true, false, "",
        Optional.empty()));
    var unicode = new Ticket(EVENT, "r-\u00e9\u4e2d", "\u00fcser", 1, "\u00e9u", 15);
    decisions.add(new Decision(unicode, Outcome.LOST, LossReason.SOLD_OUT, 6, 16, false));
    return decisions;
  }

  @Test
  void everyKindOfDecisionReadsBackEqual() {
    for (Decision d : everyKind()) assertEquals(d, DecisionCodec.decode(EVENT, DecisionCodec.encode(d)), d.toString());
  }

  /**
   * Bytes as the Redis store wrote them before it had a message of its own (the API's
   * PurchaseDecision without its event id, captured from that code): they read back as the same
   * decision, and the codec writes the very same bytes.
   */
  @Test
  void whatEarlierVersionsStoredReadsUnchangedAndEncodesToTheSameBytes() {
    var exact = new Ticket(EVENT, "r-exact", "ann", 1, "near", 1_796_000_000_123_456L);
    var bounded = new Ticket(EVENT, "r-bounded", "bob", 3, "far", 1_796_000_000_123_457L, 812, List.of(), 0, "far-2");
    var reservation = new Ticket(EVENT, "r-slots", "cy", 2, "near", 5, 100, List.of("mon", "tue", "wed"), 0, "");
    var bid = Ticket.bid(EVENT, "b-outbid", "dee", 1_500, "far", 11, 40);
    var golden = new java.util.LinkedHashMap<Decision, String>();
    golden.put(new Decision(exact, Outcome.WON, LossReason.NONE, 1, 1_796_000_000_200_000L, false),
        "1207722d65786163741a03616e6e2001280130013a046e656172420b088092b3d806108094ef3a4a0b088092b3d806108084af5f");
    golden.put(new Decision(bounded, Outcome.LOST, LossReason.SOLD_OUT, 8, 1_796_000_001_000_000L, false, true),
        "1209722d626f756e6465641a03626f622003280230083a03666172420b088092b3d80610e89bef3a4a06088192b3d806500162"
            + "0410e0c73168018a01056661722d32");
    golden.put(new Decision(reservation, Outcome.WON, LossReason.NONE, 3, 9, false, true, "tue"),
        "1207722d736c6f74731a0263792002280130033a046e65617242031088274a0310a846620410a08d06680172037475657a036d"
            + "6f6e7a037475657a03776564");
    golden.put(Decision.ofBid(bid, new BidVerdict(BidAnswer.OUTBID, 1_600, 1_796_000_060_000_000L), 4, 12, false),
        "1208622d6f75746269641a036465652001280230043a03666172420310f8554a0310e05d5006620410c0b802820110080210dc"
            + "0b18c00c220608bc92b3d806");
    golden.forEach((decision, hex) -> {
      byte[] stored = HexFormat.of().parseHex(hex);
      assertEquals(decision, DecisionCodec.decode(EVENT, stored), hex);
      assertArrayEquals(stored, DecisionCodec.encode(decision), decision.toString());
    });
  }

  /** A bid ranked unjudged keeps its amount, so a retry of it still matches (earlier versions dropped it). */
  @Test
  void aBidStampedOutOfBoundsKeepsItsAmount() {
    var backDated = Ticket.bid(EVENT, "b-late", "eve", 900, "near", 13, 0);
    var decision = new Decision(backDated, Outcome.LOST, LossReason.STAMP_OUT_OF_BOUNDS, 5, 14, true, false, "",
        Optional.empty());
    Decision read = DecisionCodec.decode(EVENT, DecisionCodec.encode(decision));
    assertEquals(900, read.ticket().bidMinor());
    assertEquals(Optional.empty(), read.bid());
    assertEquals(decision, read);
  }

  @Test
  void bytesThatAreNoDecisionSaySo() {
    var e = assertThrows(IllegalStateException.class, () -> DecisionCodec.decode(EVENT, new byte[] {(byte) 0xFF, 1}));
    assertEquals("event sale-1: undecodable stored decision", e.getMessage());
    assertThrows(IllegalStateException.class, () -> DecisionCodec.decode(EVENT, null));
  }

  /**
   * A loss reason a newer build stored (a rolling upgrade) reads as OTHER: it used to throw, and a
   * batch whose refusal carried it was retried for good, holding every buyer after it.
   */
  @Test
  void aLossReasonOfANewerBuildReadsAsOther() throws Exception {
    var ticket = new Ticket(EVENT, "r-newer", "ann", 1, "near", 5);
    byte[] known = DecisionCodec.encode(new Decision(ticket, Outcome.LOST, LossReason.SOLD_OUT, 2, 9, false));
    byte[] newer = flashsale.storage.v1.StoredDecision.parseFrom(known).toBuilder().setLossReasonValue(99).build()
        .toByteArray();
    Decision read = DecisionCodec.decode(EVENT, newer);
    assertEquals(Outcome.LOST, read.outcome());
    assertEquals(LossReason.OTHER, read.lossReason());
    assertEquals(read, DecisionCodec.decode(EVENT, DecisionCodec.encode(read)), "written again, it reads the same");
  }
}
