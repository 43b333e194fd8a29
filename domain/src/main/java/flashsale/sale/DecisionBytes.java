package flashsale.sale;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
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
    var bytes = new ByteArrayOutputStream(128);
    try (var out = new DataOutputStream(bytes)) {
      Ticket t = decision.ticket();
      out.writeUTF(t.eventId());
      out.writeUTF(t.userId());
      out.writeInt(t.quantity());
      out.writeUTF(t.region());
      out.writeLong(t.stampMicros());
      out.writeLong(t.errorBoundMicros());
      out.writeInt(t.slots().size());
      for (String slot : t.slots()) out.writeUTF(slot);
      out.writeLong(t.bidMinor());
      out.writeUTF(t.node());
      out.writeByte(decision.outcome().ordinal());
      out.writeByte(decision.lossReason().ordinal());
      out.writeLong(decision.rank());
      out.writeLong(decision.decideMicros());
      out.writeBoolean(decision.late());
      out.writeBoolean(decision.nearTie());
      out.writeUTF(decision.slot());
      out.writeBoolean(decision.bid().isPresent());
      if (decision.bid().isPresent()) {
        BidVerdict bid = decision.bid().get();
        out.writeByte(bid.answer().ordinal());
        out.writeLong(bid.amountToBeatMinor());
        out.writeLong(bid.closeMicros());
      }
    } catch (java.io.UTFDataFormatException tooLong) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory", e); // a ByteArrayOutputStream does not fail
    }
    return Optional.of(bytes.toByteArray());
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
