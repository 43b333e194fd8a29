package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The hand-written encoder writes exactly what {@link DataOutputStream} writes, which {@code decode} reads. */
class DecisionBytesTest {
  /** ASCII, U+0000, two-byte, three-byte and surrogate chars: every branch of modified UTF-8. */
  private static final List<String> STRINGS = List.of("", "near", "req-0001:a.b_c", "\u0000", "\u007F\u0080",
      "\u00e9t\u00e9", "\u07FF\u0800", "\u4e2d\u6587", "\uD83D\uDE00", "\uD800", "\uFFFD\uFFFF");

  @Test
  void writesWhatDataOutputStreamWrites() throws IOException {
    var writer = new DecisionBytes.Writer();
    var reference = new ByteArrayOutputStream();
    try (var out = new DataOutputStream(reference)) {
      for (String s : STRINGS) {
        assertTrue(writer.utf(s));
        out.writeUTF(s);
      }
      for (long value : new long[] {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x0102030405060708L}) {
        writer.putLong(value);
        out.writeLong(value);
        writer.putInt((int) value);
        out.writeInt((int) value);
        writer.putByte((int) value);
        out.writeByte((int) value);
      }
    }
    assertArrayEquals(reference.toByteArray(), Arrays.copyOf(writer.bytes(), writer.length()));
  }

  @Test
  void decisionsComeBackEqualAndTheWriterIsReusable() {
    var writer = new DecisionBytes.Writer();
    var reservation = new Decision(new Ticket("hotel", "r-1", "ann", 2, "far", 5, 3, List.of("mon", "tue"), 0, "far-2"),
        Outcome.WON, LossReason.NONE, 4, 9, true, true, "tue");
    var bid = Decision.ofBid(Ticket.bid("lot", "b-1", "b\u00f6b", 1_500, "near", 7, 0),
        new BidVerdict(BidAnswer.OUTBID, 1_600, 99), 2, 11, false);
    for (Decision d : List.of(reservation, bid, reservation)) {
      assertTrue(DecisionBytes.encode(d, writer));
      assertEquals(d, DecisionBytes.decode(d.ticket().requestId(), writer.bytes(), 0, writer.length()));
      assertEquals(Optional.of(writer.length()), DecisionBytes.encode(d).map(b -> b.length));
    }
  }

  @Test
  void aStringOverTheLayoutsLimitIsNotKept() {
    String huge = "\u4e2d".repeat(30_000); // 90,000 bytes in UTF-8
    var decision = new Decision(new Ticket("e", "r", huge, 1, "near", 1, 0, List.of(), 0, ""), Outcome.WON,
        LossReason.NONE, 1, 2, false, false);
    assertFalse(DecisionBytes.encode(decision, new DecisionBytes.Writer()));
    assertEquals(Optional.empty(), DecisionBytes.encode(decision));
    assertFalse(new RecentDecisions(4).put("r", decision));
  }
}
