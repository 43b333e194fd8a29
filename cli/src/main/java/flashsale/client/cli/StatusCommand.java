package flashsale.client.cli;

import flashsale.client.FlashSaleClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code flashsale status}: where a purchase stands, by request id. */
@Command(
    name = "status",
    description = "Show whether a purchase is still pending or how it was decided, and where it stands after the win "
        + "(awaiting payment, paid, waitlisted...) in an event with a payment window (asks a region node). An auction bid: "
        + "whether it stands, was outbid, or won or lost at the close (exit 0 standing or won, 1 outbid or lost).")
final class StatusCommand extends NodeCommand {
  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Parameters(index = "0", paramLabel = "REQUEST_ID", description = "The purchase's request id.")
  String requestId;

  @Override
  public Integer call() {
    return connection.withChannel(channel -> {
      var client = new FlashSaleClient(channel, connection.deadline);
      return PurchaseOutput.print(client.getPurchase(eventId, requestId), output, out(), err(), connection.target, client);
    });
  }
}
