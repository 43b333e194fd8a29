package flashsale.client.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flashsale bid}: bids in an auction through a region node. */
@Command(
    name = "bid",
    description = {
      "Bid in an auction through a region node; waits until the arbiter judges the bid in global stamp order.",
      "Exit 0 when ACCEPTED and still standing (or won), 1 when OUTBID, TOO_LOW (with the amount to beat) or CLOSED,",
      "or accepted but outbid since (the standing is read after the decision; with --json it is printed on stderr).",
      "Retrying with the same --request-id and amount never bids twice."
    })
final class BidCommand extends DecisionCommand {
  @Option(names = "--event", required = true, description = "Auction's event id.")
  String eventId;

  @Option(names = "--user", required = true, description = "Bidding user's id.")
  String userId;

  @Option(names = "--amount-minor", required = true, paramLabel = "AMOUNT", description = "The bid, in integer minor units (cents).")
  long amountMinor;

  @Option(names = "--currency", required = true, paramLabel = "CODE", description = "The auction's ISO 4217 currency (EUR).")
  String currency;

  @Override
  public Integer call() {
    return sendAndPrint((client, id) -> client.bid(eventId, userId, id, amountMinor, currency));
  }
}
