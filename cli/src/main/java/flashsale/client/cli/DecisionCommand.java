package flashsale.client.cli;

import flashsale.client.FlashSaleClient;
import flashsale.client.PurchaseResult;
import java.util.function.BiFunction;
import picocli.CommandLine.Option;

/**
 * Base of the commands that send one request through a region node and print the arbiter's
 * decision (purchase, reserve, bid): they share {@code --request-id} and the way the decision is
 * printed.
 */
abstract class DecisionCommand extends NodeCommand {
  @Option(names = "--request-id",
      description = "Idempotency key; default: a new random UUID, printed with the decision, or at the end of the error "
          + "line if the call fails ('; request id: ID').")
  String requestId;

  /** Sends {@code send(client, requestId)} and prints its decision (or PENDING); the exit code follows it. */
  int sendAndPrint(BiFunction<FlashSaleClient, String, PurchaseResult> send) {
    String id = requestIdOrNew(requestId);
    return connection.withChannel(channel -> {
      var client = new FlashSaleClient(channel, connection.deadline);
      return PurchaseOutput.print(send.apply(client, id), output, out(), err(), connection.target, client);
    });
  }
}
