package flashsale.client.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flashsale purchase}: buys through a region node and waits for the decision. */
@Command(
    name = "purchase",
    description = {
      "Buy units of an event through a region node; waits until the arbiter decides.",
      "If the deadline passes first, asks the region with the same request id and reports PENDING.",
      "Retrying with the same --request-id is always safe: it never buys twice."
    })
final class PurchaseCommand extends DecisionCommand {
  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Option(names = "--user", required = true, description = "Buying user's id.")
  String userId;

  @Option(names = "--quantity", defaultValue = "1", description = "Units wanted, all or nothing (default: ${DEFAULT-VALUE}).")
  int quantity;

  @Override
  public Integer call() {
    return sendAndPrint((client, id) -> client.purchase(eventId, userId, id, quantity));
  }
}
