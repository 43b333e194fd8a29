package flashsale.client.cli;

import flashsale.client.PurchaseResult;
import flashsale.v1.LossReason;
import flashsale.v1.PurchaseDecision;
import java.io.PrintWriter;

/** Prints a purchase result for {@code purchase} and {@code status}, and picks the exit code. */
final class PurchaseOutput {
  private PurchaseOutput() {}

  /**
   * @param target the node asked, for the follow-up command a pending purchase suggests
   * @return {@link ExitCodes#OK} won, {@link ExitCodes#LOST} lost, {@link ExitCodes#UNDECIDED} pending
   */
  static int print(PurchaseResult result, OutputOptions output, PrintWriter out, String target) {
    if (output.json) {
      OutputOptions.printJson(out, result.toProto());
    }
    return switch (result) {
      case PurchaseResult.Decided d -> {
        if (!output.json) {
          printDecision(d.decision(), output, out);
        }
        yield d.won() ? ExitCodes.OK : ExitCodes.LOST;
      }
      case PurchaseResult.Pending p -> {
        if (!output.json) {
          out.printf("PENDING request %s for event %s, arrived %s, not decided yet%n", p.requestId(), p.eventId(),
              p.arrivalTime().map(t -> TimeArgs.format(t, output.zone)).orElse("-"));
          out.printf("  ask again: flashsale status --target %s --event %s %s%n", target, p.eventId(), p.requestId());
        }
        yield ExitCodes.UNDECIDED;
      }
    };
  }

  static void printDecision(PurchaseDecision d, OutputOptions output, PrintWriter out) {
    String outcome = d.getOutcome().name().replace("OUTCOME_", "");
    String why = d.getLossReason() == LossReason.LOSS_REASON_UNSPECIFIED
        ? ""
        : " (" + d.getLossReason().name().replace("LOSS_REASON_", "") + ")";
    out.printf("%s%s request %s: user %s, %d × event %s, rank %d in region %s%s%n", outcome, why,
        d.getRequestId(), d.getUserId(), d.getQuantity(), d.getEventId(), d.getRank(), d.getRegion(),
        d.getLate() ? ", late" : "");
    if (d.getSlotsCount() > 0) {
      out.printf("  slot %s (asked for %s)%n", d.getSlot().isEmpty() ? "none" : d.getSlot(), String.join(", ", d.getSlotsList()));
    }
    out.printf("  arrived %s  decided %s%n", output.time(d.getArrivalTime()), output.time(d.getDecideTime()));
  }
}
