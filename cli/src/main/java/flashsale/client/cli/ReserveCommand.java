package flashsale.client.cli;

import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flashsale reserve}: reserves in a reservation event through a region node. */
@Command(
    name = "reserve",
    description = {
      "Reserve units of a reservation event through a region node; waits until the arbiter decides.",
      "In global arrival order the request gets the first --slot (in the order given) with room for",
      "the whole --quantity, or loses. Retrying with the same --request-id and slots never reserves twice."
    })
final class ReserveCommand extends DecisionCommand {
  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Option(names = "--user", required = true, description = "Reserving user's id.")
  String userId;

  @Option(names = "--slot", required = true, paramLabel = "SLOT",
      description = "An acceptable slot; repeat it, best first (--slot 18:00 --slot 19:00).")
  List<String> slots;

  @Option(names = "--quantity", defaultValue = "1", description = "Units wanted in one slot, all or nothing (default: ${DEFAULT-VALUE}).")
  int quantity;

  @Override
  public Integer call() {
    return sendAndPrint((client, id) -> client.reserve(eventId, userId, id, quantity, slots));
  }
}
