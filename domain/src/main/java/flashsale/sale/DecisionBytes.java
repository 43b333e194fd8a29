package flashsale.sale;

import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A decision as the bytes {@link RecentDecisions} keeps, without its request id (the table's key).
 * In memory only, within one process: enums are written by ordinal, and nothing here is ever
 * stored or sent, so the layout may change with any build.
 */
final class DecisionBytes {
  private static final Outcome[] OUTCOMES = Outcome.values();
  private static final LossReason[] LOSS_REASONS = LossReason.values();
  private static final BidAnswer[] BID_ANSWERS = BidAnswer.values();

  private DecisionBytes() {}

  /**
   * The decision's bytes, or empty when a string in it is too long for this layout (over 65,535
   * UTF-8 bytes; validation keeps ids far shorter): such a decision is not remembered.
   */
  static Optional<byte[]> encode(Decision decision) {
    Writer out = new Writer();
    return encode(decision, out) ? Optional.of(java.util.Arrays.copyOf(out.bytes, out.length)) : Optional.empty();
  }

  /**
   * Writes the decision's bytes to {@code out} from its start; false (and {@code out} holds no
   * whole decision) when a string is too long for this layout. On every decision an arbiter makes:
   * through {@link java.io.DataOutputStream} over a {@link java.io.ByteArrayOutputStream} (a lock per write, a
   * buffer per string) the sequencer core decided 1.3 M tickets/s in JMH, against 4.0 M before
   * decisions were kept as bytes (docs/measurements.md, twenty-ninth session).
   */
  static boolean encode(Decision decision, Writer out) {
    out.length = 0;
    Ticket t = decision.ticket();
    if (!out.utf(t.eventId()) || !out.utf(t.userId())) return false;
    out.putInt(t.quantity());
    if (!out.utf(t.region())) return false;
    out.putLong(t.stampMicros());
    out.putLong(t.errorBoundMicros());
    out.putInt(t.slots().size());
    for (String slot : t.slots()) {
      if (!out.utf(slot)) return false;
    }
    out.putLong(t.bidMinor());
    if (!out.utf(t.node())) return false;
    out.putByte(decision.outcome().ordinal());
    out.putByte(decision.lossReason().ordinal());
    out.putLong(decision.rank());
    out.putLong(decision.decideMicros());
    out.putByte(decision.late() ? 1 : 0);
    out.putByte(decision.nearTie() ? 1 : 0);
    if (!out.utf(decision.slot())) return false;
    out.putByte(decision.bid().isPresent() ? 1 : 0);
    if (decision.bid().isPresent()) {
      BidVerdict bid = decision.bid().get();
      out.putByte(bid.answer().ordinal());
      out.putLong(bid.amountToBeatMinor());
      out.putLong(bid.closeMicros());
    }
    return true;
  }

  /**
   * A reusable, growing byte array written as {@link java.io.DataOutputStream} writes (big-endian numbers,
   * strings in modified UTF-8 after their 2-byte length), so {@link #decode} reads it back with a
   * {@link DataInputStream}. Single owner.
   */
  static final class Writer {
    private byte[] bytes = new byte[256];
    private int length;

    byte[] bytes() {
      return bytes;
    }

    int length() {
      return length;
    }

    void putByte(int value) {
      ensure(1);
      bytes[length++] = (byte) value;
    }

    void putInt(int value) {
      ensure(Integer.BYTES);
      for (int shift = 24; shift >= 0; shift -= 8) bytes[length++] = (byte) (value >>> shift);
    }

    void putLong(long value) {
      ensure(Long.BYTES);
      for (int shift = 56; shift >= 0; shift -= 8) bytes[length++] = (byte) (value >>> shift);
    }

    /** As {@link java.io.DataOutputStream#writeUTF}; false when its encoding is over 65,535 bytes. */
    boolean utf(String s) {
      int chars = s.length();
      if (chars > 0xFFFF) return false; // every char takes a byte or more
      ensure(2 + 3 * chars);
      int start = length;
      int at = start + 2;
      for (int i = 0; i < chars; i++) {
        char c = s.charAt(i);
        if (c >= 0x0001 && c <= 0x007F) {
          bytes[at++] = (byte) c;
        } else if (c <= 0x07FF) { // and U+0000, which modified UTF-8 writes in two bytes
          bytes[at++] = (byte) (0xC0 | (c >> 6));
          bytes[at++] = (byte) (0x80 | (c & 0x3F));
        } else {
          bytes[at++] = (byte) (0xE0 | (c >> 12));
          bytes[at++] = (byte) (0x80 | ((c >> 6) & 0x3F));
          bytes[at++] = (byte) (0x80 | (c & 0x3F));
        }
      }
      int encoded = at - start - 2;
      if (encoded > 0xFFFF) return false;
      bytes[start] = (byte) (encoded >>> 8);
      bytes[start + 1] = (byte) encoded;
      length = at;
      return true;
    }

    private void ensure(int more) {
      if (length + more > bytes.length) bytes = java.util.Arrays.copyOf(bytes, Math.max(2 * bytes.length, length + more));
    }
  }

  /** The decision of {@code requestId} that {@link #encode} wrote into {@code bytes[offset, offset + length)}. */
  static Decision decode(String requestId, byte[] bytes, int offset, int length) {
    try (var in = new DataInputStream(new java.io.ByteArrayInputStream(bytes, offset, length))) {
      String eventId = in.readUTF();
      String userId = in.readUTF();
      int quantity = in.readInt();
      String region = in.readUTF();
      long stampMicros = in.readLong();
      long errorBoundMicros = in.readLong();
      int slotCount = in.readInt();
      List<String> slots = new ArrayList<>(slotCount);
      for (int i = 0; i < slotCount; i++) slots.add(in.readUTF());
      long bidMinor = in.readLong();
      String node = in.readUTF();
      var ticket = new Ticket(eventId, requestId, userId, quantity, region, stampMicros, errorBoundMicros, slots,
          bidMinor, node);
      Outcome outcome = OUTCOMES[in.readByte()];
      LossReason lossReason = LOSS_REASONS[in.readByte()];
      long rank = in.readLong();
      long decideMicros = in.readLong();
      boolean late = in.readBoolean();
      boolean nearTie = in.readBoolean();
      String slot = in.readUTF();
      Optional<BidVerdict> bid = in.readBoolean()
          ? Optional.of(new BidVerdict(BID_ANSWERS[in.readByte()], in.readLong(), in.readLong()))
          : Optional.empty();
      return new Decision(ticket, outcome, lossReason, rank, decideMicros, late, nearTie, slot, bid);
    } catch (IOException e) {
      throw new IllegalStateException("remembered decision of " + requestId + " does not decode", e);
    }
  }
}
