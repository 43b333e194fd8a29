package flashsale.client.cli;

import flashsale.client.BidStanding;
import flashsale.client.FlashSaleClient;
import flashsale.client.FlashSaleException;
import flashsale.client.PurchaseResult;
import io.grpc.Status;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flashsale watch-purchase}: follows a purchase at a region node until it is settled. */
@Command(
    name = "watch-purchase",
    description = {
      "Follow a purchase at a region node: prints where it stands at once, then each change as the arbiter stores it",
      "(decided; awaiting payment with its deadline; waitlisted, then promoted; paid, cancelled, expired), pushed, no polling.",
      "Ends once nothing can change any more. Exit code 0 when it ends paid (or won where wins are final), 1 when it ends",
      "without its units (lost, not waitlisted, cancelled, expired), 5 when --max-wait passes first (it says so on stdout).",
      "An auction bid is followed until it is settled: 0 when it won at the close, 1 when outbid (before or at the close)."
    })
final class WatchPurchaseCommand extends NodeCommand {
  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Option(names = "--request-id", required = true, description = "The purchase's request id.")
  String requestId;

  @Option(
      names = "--max-wait",
      defaultValue = "1h",
      converter = TimeArgs.DurationConverter.class,
      description = "Longest to follow it, e.g. 15m (default: ${DEFAULT-VALUE}); a payment window may take minutes.")
  Duration maxWait;

  private PurchaseResult previous;

  @Override
  public Integer call() {
    long startNanos = System.nanoTime();
    try {
      return connection.withChannel(channel -> {
        var client = new FlashSaleClient(channel, connection.deadline);
        PurchaseResult last = client.watchPurchase(eventId, requestId, maxWait, this::print);
        out().flush();
        if (!(last instanceof PurchaseResult.Decided d && d.isBid())) return PurchaseOutput.settledExitCode(last);
        // A bid's decision is only its judgement: follow the auction until the bid is settled.
        Duration left = maxWait.minusNanos(System.nanoTime() - startNanos);
        BidStanding standing = left.isNegative() || left.isZero() ? client.bidStanding(d.decision())
            : client.watchBid(d.decision(), left, now -> {
              if (!output.json) out().println(PurchaseOutput.describe(now, d.decision(), output));
              out().flush();
            });
        if (standing.settled()) return PurchaseOutput.exitCode(standing);
        return notSettled();
      });
    } catch (FlashSaleException e) {
      if (e.code() != Status.Code.DEADLINE_EXCEEDED || previous == null) throw e;
      // Followed as long as asked: not an error, just not settled yet.
      return notSettled();
    }
  }

  /** Said on stdout, or on stderr with --json (stdout is then JSON lines only); the exit code says it too. */
  private int notSettled() {
    var to = output.json ? err() : out();
    to.printf("not settled within --max-wait (%d ms); watch again to follow it%n", maxWait.toMillis());
    to.flush();
    return ExitCodes.UNDECIDED;
  }

  /** One change: the whole decision when it first arrives, then one line per order state. */
  private void print(PurchaseResult now) {
    if (output.json) {
      OutputOptions.printJson(out(), now.toProto());
    } else if (now instanceof PurchaseResult.Decided d && previous instanceof PurchaseResult.Decided) {
      d.order().ifPresent(o -> out().printf("%s request %s%n", PurchaseOutput.orderState(o, output), d.requestId()));
    } else if (now instanceof PurchaseResult.Decided d) {
      PurchaseOutput.printDecision(d.decision(), output, out());
      d.order().ifPresent(o -> out().printf("  order %s%n", PurchaseOutput.orderState(o, output)));
    } else if (now instanceof PurchaseResult.Pending p) {
      out().printf("PENDING request %s for event %s, arrived %s, not decided yet%n", p.requestId(), p.eventId(),
          p.arrivalTime().map(t -> TimeArgs.format(t, output.zone)).orElse("-"));
    }
    out().flush();
    previous = now;
  }
}
