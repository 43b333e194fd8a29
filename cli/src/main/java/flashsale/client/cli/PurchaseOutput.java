package flashsale.client.cli;

import flashsale.client.BidStanding;
import flashsale.client.FlashSaleClient;
import flashsale.client.FlashSaleException;
import flashsale.client.PurchaseResult;
import flashsale.v1.BidAnswer;
import flashsale.v1.LossReason;
import flashsale.v1.Order;
import flashsale.v1.OrderState;
import flashsale.v1.PurchaseDecision;
import java.io.PrintWriter;

/**
 * Prints a purchase result for {@code purchase}, {@code status} and {@code watch-purchase} (with its
 * order after the win, where it has one), and picks the exit code.
 */
final class PurchaseOutput {
  private PurchaseOutput() {}

  /**
   * @param err where a note goes that would break {@code --json} on {@code out}
   * @param target the node asked, for the follow-up command a pending purchase suggests
   * @param client asked for the auction when the result is an accepted bid (its standing is not in its decision)
   * @return {@link ExitCodes#OK} won (after the win: paid or awaiting payment; a bid standing or won),
   *     {@link ExitCodes#LOST} lost (or cancelled, expired, waitlisted; a bid outbid or refused),
   *     {@link ExitCodes#UNDECIDED} pending
   */
  static int print(PurchaseResult result, OutputOptions output, PrintWriter out, PrintWriter err, String target,
      FlashSaleClient client) {
    if (output.json) {
      OutputOptions.printJson(out, result.toProto());
    }
    return switch (result) {
      case PurchaseResult.Decided d when d.isBid() -> {
        // The decision first: it is final whatever becomes of the look-up of the standing below.
        if (!output.json) printDecision(d.decision(), output, out);
        out.flush();
        boolean accepted = d.decision().getBid().getAnswer() == BidAnswer.BID_ANSWER_ACCEPTED;
        BidStanding standing;
        try {
          standing = accepted ? client.bidStanding(d.decision()) : BidStanding.NOT_ACCEPTED;
        } catch (FlashSaleException e) {
          String why = e.description().strip().replaceAll("\\s*\\R\\s*", " ");
          String unknown = "standing: unknown, the auction could not be read (" + e.code()
              + e.reason().map(r -> " " + r).orElse("") + (why.isEmpty() ? "" : ": " + why)
              + "); ask again: flashsale status --target " + target + " --event " + d.decision().getEventId() + " "
              + d.requestId();
          if (output.json) err.println(unknown); else out.printf("  %s%n", unknown);
          yield ExitCodes.OK; // accepted, so standing as of its decision
        }
        // With --json the standing goes to stderr: stdout holds the decision (ACCEPTED) alone, and the exit code
        // (1 when outbid since) would otherwise say something stdout does not.
        (output.json ? err : out).printf(output.json ? "%s%n" : "  %s%n", describe(standing, d.decision(), output));
        yield exitCode(standing);
      }
      case PurchaseResult.Decided d -> {
        if (!output.json) {
          printDecision(d.decision(), output, out);
          d.order().ifPresent(o -> out.printf("  order %s%n", orderState(o, output)));
        }
        yield holdsUnits(d) ? ExitCodes.OK : ExitCodes.LOST;
      }
      case PurchaseResult.Pending p -> {
        if (!output.json) {
          out.printf("PENDING request %s for event %s, arrived %s, not decided yet%n", p.requestId(), p.eventId(),
              p.arrivalTime().map(t -> TimeArgs.format(t, output.zone)).orElse("-"));
          out.printf("  ask again: flashsale status --target %s --event %s %s%n", target, p.eventId(), p.requestId());
        } else {
          // GetPurchase's answer has no request id: a script needs it to ask again or retry under it.
          err.printf("note: request %s of event %s is pending; ask again: flashsale status --target %s --event %s %s%n",
              p.requestId(), p.eventId(), target, p.eventId(), p.requestId());
        }
        yield ExitCodes.UNDECIDED;
      }
    };
  }

  /** An order's state after the win with what it means for the buyer, e.g. {@code AWAITING_PAYMENT, pay before T}. */
  static String orderState(Order o, OutputOptions output) {
    String state = o.getState().name().replace("ORDER_STATE_", "");
    String deadline = output.time(o.getPaymentDeadlineTime());
    return state + switch (o.getState()) {
      case ORDER_STATE_AWAITING_PAYMENT -> ", pay before " + deadline;
      case ORDER_STATE_EXPIRED -> ", not paid before " + deadline;
      case ORDER_STATE_WAITLISTED -> ", waiting for units given back";
      case ORDER_STATE_NOT_WAITLISTED -> ", the waitlist was full";
      case ORDER_STATE_WAITLIST_CLOSED -> ", the event settled with no unit given back for it";
      default -> "";
    };
  }

  /**
   * The exit code once a watched purchase is settled: {@link ExitCodes#OK} when it ends holding its
   * units (paid, or won where wins are final), {@link ExitCodes#LOST} when it ends without them,
   * {@link ExitCodes#UNDECIDED} while still pending.
   */
  static int settledExitCode(PurchaseResult last) {
    return switch (last) {
      case PurchaseResult.Pending p -> ExitCodes.UNDECIDED;
      case PurchaseResult.Decided d -> holdsUnits(d) ? ExitCodes.OK : ExitCodes.LOST;
    };
  }

  /**
   * The buyer has the units now: a win (where wins are final), or an order paid or awaiting
   * payment (a promoted loser too); cancelled, expired and waitlisted ones do not.
   */
  static boolean holdsUnits(PurchaseResult.Decided d) {
    return d.order().map(o -> o.getState() == OrderState.ORDER_STATE_PAID
        || o.getState() == OrderState.ORDER_STATE_AWAITING_PAYMENT).orElse(d.won());
  }

  /** A bid holds its place while it stands and once it won; it lost when pushed out, at the close or before. */
  static int exitCode(BidStanding standing) {
    return standing == BidStanding.STANDING || standing == BidStanding.WON ? ExitCodes.OK : ExitCodes.LOST;
  }

  /** A bid's standing for a person, e.g. {@code standing: LOST at the close (outbid)}. */
  static String describe(BidStanding standing, PurchaseDecision bid, OutputOptions output) {
    return "standing: " + switch (standing) {
      case NOT_ACCEPTED -> "never stood (" + bid.getBid().getAnswer().name().replace("BID_ANSWER_", "") + ")";
      case STANDING -> "STANDING among the best bids; it may be outbid until the close " + output.time(bid.getBid().getCloseTime())
          + " (or later, by a soft close)";
      case OUTBID -> "OUTBID: better bids stand for every unit";
      case WON -> "WON at the close";
      case LOST_AT_CLOSE -> "LOST at the close (outbid)";
    };
  }

  static void printDecision(PurchaseDecision d, OutputOptions output, PrintWriter out) {
    // A bid's decision is its judgement when ranked ("WON" means accepted): its standing says more.
    String outcome = d.hasBid() ? "BID" : d.getOutcome().name().replace("OUTCOME_", "");
    String why = d.getLossReason() == LossReason.LOSS_REASON_UNSPECIFIED
        ? ""
        : " (" + d.getLossReason().name().replace("LOSS_REASON_", "") + ")";
    out.printf("%s%s request %s: user %s, %d × event %s, rank %d in region %s%s%n", outcome, why,
        d.getRequestId(), d.getUserId(), d.getQuantity(), d.getEventId(), d.getRank(), d.getRegion(),
        d.getLate() ? ", late" : "");
    if (d.getSlotsCount() > 0) {
      out.printf("  slot %s (asked for %s)%n", d.getSlot().isEmpty() ? "none" : d.getSlot(), String.join(", ", d.getSlotsList()));
    }
    if (d.hasBid()) {
      var bid = d.getBid();
      out.printf("  bid %d: %s%s, close %s%n", bid.getAmountMinor(), bid.getAnswer().name().replace("BID_ANSWER_", ""),
          bid.getAmountToBeatMinor() > 0 ? " (to beat: " + bid.getAmountToBeatMinor() + ")" : "",
          output.time(bid.getCloseTime()));
    }
    out.printf("  arrived %s  decided %s%n", output.time(d.getArrivalTime()), output.time(d.getDecideTime()));
  }
}
