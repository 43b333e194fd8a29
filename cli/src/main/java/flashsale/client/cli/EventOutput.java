package flashsale.client.cli;

import com.google.protobuf.Duration;
import flashsale.client.cli.TextTable;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventResponse;
import flashsale.v1.EventCounters;
import flashsale.v1.LossReason;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.RegionStatus;
import flashsale.v1.SlotStatus;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Human-readable output of the admin commands: events, counters, the decision log, regions. */
final class EventOutput {
  private EventOutput() {}

  static void printEvent(Event e, OutputOptions output, PrintWriter out) {
    out.printf("event %s: %s, %s%n", e.getEventId(), e.getItem(), e.getMode().name().replace("EVENT_MODE_", ""));
    // Bids have no per-user limit: an auction's would only mislead.
    out.printf("  stock %d, %sregions %s%n", e.getStock(), e.hasAuction() ? "" : "per-user limit " + e.getPerUserLimit() + ", ",
        String.join(", ", e.getRegionsList()));
    out.printf("  start %s  end %s%n", output.time(e.getStartTime()), output.time(e.getEndTime()));
    if (e.getSlotsCount() > 0) {
      out.printf("  reservation slots %s%n", String.join(", ",
          e.getSlotsList().stream().map(s -> s.getName() + " (" + s.getCapacity() + ")").toList()));
    }
    if (e.hasAuction()) {
      var a = e.getAuction();
      out.printf("  auction of %d, reserve %d, increment %d %s, %s%n", a.getUnits(), a.getReservePriceMinor(),
          a.getMinIncrementMinor(), a.getCurrencyCode(), a.getSoftCloseWindow().getSeconds() == 0 ? "hard close"
              : "soft close " + a.getSoftCloseWindow().getSeconds() + "s (cap " + a.getSoftCloseCap().getSeconds() + "s)");
    }
  }

  /** An auction's close and its standing bids, or its winners once closed. */
  static void printAuction(flashsale.v1.AuctionResult a, OutputOptions output, PrintWriter out) {
    out.printf("  auction %s %s; %s %s%n", a.getClosed() ? "closed at" : "closes at", output.time(a.getCloseTime()),
        a.getClosed() ? "winners" : "standing", a.getWinningBidsCount() == 0 ? "none" : String.join(", ",
            a.getWinningBidsList().stream().map(b -> b.getUserId() + " " + b.getAmountMinor() + " (" + b.getRegion() + ")")
                .toList()));
  }

  /** Each slot's units left of its capacity, as {@code 18:00 1/4, 19:00 4/4}. */
  static String slotsLeft(List<SlotStatus> slots) {
    return String.join(", ", slots.stream().map(s -> s.getName() + " " + s.getRemaining() + "/" + s.getCapacity()).toList());
  }

  static void printAdminView(EventAdminServiceGetEventResponse r, OutputOptions output, PrintWriter out) {
    printEvent(r.getEvent(), output, out);
    EventCounters c = r.getCounters();
    out.printf("  state %s%s%n", r.getState().name().replace("EVENT_STATE_", ""),
        r.hasSoldOutTime() ? ", sold out at " + output.time(r.getSoldOutTime()) : "");
    out.printf("  remaining %d, sold %d; decisions %d (won %d, lost %d, late %d), pending %d%n",
        c.getRemainingStock(), c.getUnitsSold(), c.getDecisions(), c.getWins(), c.getLosses(),
        c.getLateTickets(), c.getPendingTickets());
    if (c.getSlotsCount() > 0) out.printf("  slots left %s%n", slotsLeft(c.getSlotsList()));
    if (r.hasAuction()) printAuction(r.getAuction(), output, out);
    if (r.hasPaymentTerms()) {
      out.printf("  payment window %ds, waitlist bound %d%n", r.getPaymentTerms().getPaymentWindow().getSeconds(),
          r.getPaymentTerms().getWaitlistBound());
    }
  }

  /**
   * The decision log, printed a page at a time as the pages arrive, so a log of millions needs
   * no more memory than a page: a table for people, or one line of JSON in the shape of
   * {@code ListDecisionsResponse} with every page merged.
   */
  interface DecisionLog {
    void page(List<PurchaseDecision> decisions);

    /** After the last page: the table's count line, the JSON's closing brackets. */
    void end();

    /** A table, with a SLOT column when {@code event} is a reservation. */
    static DecisionLog table(Event event, OutputOptions output, PrintWriter out) {
      return new DecisionTable(event.getSlotsCount() > 0, output, out);
    }

    static DecisionLog json(PrintWriter out) {
      return new JsonDecisionLog(out);
    }
  }

  /** Rows as the pages come; columns widen when a later page holds a longer cell. */
  private static final class DecisionTable implements DecisionLog {
    private final boolean slotted;
    private final OutputOptions output;
    private final PrintWriter out;
    private final TextTable table = TextTable.paged();
    private boolean headed;
    private long printed;

    DecisionTable(boolean slotted, OutputOptions output, PrintWriter out) {
      this.slotted = slotted;
      this.output = output;
      this.out = out;
    }

    @Override
    public void page(List<PurchaseDecision> decisions) {
      List<List<String>> rows = new ArrayList<>();
      if (!headed) {
        headed = true;
        rows.add(slotted
            ? List.of("RANK", "OUTCOME", "REGION", "USER", "QTY", "REQUEST", "ARRIVED", "DECIDED", "SLOT", "NOTE")
            : List.of("RANK", "OUTCOME", "REGION", "USER", "QTY", "REQUEST", "ARRIVED", "DECIDED", "NOTE"));
      }
      for (PurchaseDecision d : decisions) {
        String note = (d.getLossReason() == LossReason.LOSS_REASON_UNSPECIFIED
                ? "" : d.getLossReason().name().replace("LOSS_REASON_", ""))
            + (d.getLate() ? " late" : "");
        // A bid's outcome is its judgement (WON = accepted as standing), not whether it won the close.
        String outcome = d.hasBid() ? "BID " + d.getBid().getAnswer().name().replace("BID_ANSWER_", "")
            : d.getOutcome().name().replace("OUTCOME_", "");
        List<String> row = new ArrayList<>(List.of(Long.toString(d.getRank()), outcome,
            d.getRegion(), d.getUserId(), Integer.toString(d.getQuantity()), d.getRequestId(),
            output.time(d.getArrivalTime()), output.time(d.getDecideTime()), note.strip()));
        if (slotted) row.add(8, d.getSlot());
        rows.add(row);
      }
      printed += decisions.size();
      out.print(table.renderPage(rows));
      out.flush();
    }

    @Override
    public void end() {
      if (!headed) page(List.of()); // the header, so an empty log still reads as a table
      out.printf("%d decisions%n", printed);
      out.flush();
    }
  }

  /** {@code {"decisions":[…]}} written a decision at a time; {@code {}} when there are none, as protobuf JSON has it. */
  private static final class JsonDecisionLog implements DecisionLog {
    private final PrintWriter out;
    private long printed;

    JsonDecisionLog(PrintWriter out) {
      this.out = out;
    }

    @Override
    public void page(List<PurchaseDecision> decisions) {
      for (PurchaseDecision d : decisions) {
        out.print(printed++ == 0 ? "{\"decisions\":[" : ",");
        out.print(OutputOptions.json(d));
      }
      out.flush();
    }

    @Override
    public void end() {
      out.println(printed == 0 ? "{}" : "]}");
      out.flush();
    }
  }

  static void printRegions(List<RegionStatus> regions, OutputOptions output, PrintWriter out) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("REGION", "NODE", "CONNECTED", "WATERMARK", "CLOCK OFFSET (ms)", "ROUND TRIP (ms)", "FLAGGED"));
    for (RegionStatus r : regions) { // one row per region node: a region may run several
      rows.add(List.of(r.getRegion(), r.getNodeId().isEmpty() ? "-" : r.getNodeId(), r.getConnected() ? "yes" : "no", output.time(r.getWatermarkTime()),
          millis(r.getClockOffset()), millis(r.getClockRoundTrip()), r.getClockFlagged() ? "FLAGGED" : "no"));
    }
    out.print(TextTable.render(rows));
    out.flush();
  }

  private static String millis(Duration d) {
    return String.format(Locale.ROOT, "%.3f", d.getSeconds() * 1e3 + d.getNanos() / 1e6);
  }
}
