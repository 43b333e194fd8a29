package flashsale.client.cli;

import flashsale.client.EventAdminClient;
import flashsale.v1.ListDecisionsResponse;
import flashsale.v1.PurchaseDecision;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flashsale event decisions}: the audit log of an event, every page. */
@Command(name = "decisions", description = "List an event's decisions in global rank order (the audit log, from the arbiter).")
final class EventDecisionsCommand extends NodeCommand {
  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Option(names = "--page-size", defaultValue = "500", description = "Decisions fetched per call, 1..1000 (default: ${DEFAULT-VALUE}).")
  int pageSize;

  @Override
  public Integer call() {
    connection.expectArbiter();
    if (pageSize < 1 || pageSize > 1000) {
      throw new IllegalArgumentException("--page-size must be 1..1000, got " + pageSize);
    }
    List<PurchaseDecision> decisions = connection.withChannel(
        channel -> new EventAdminClient(channel, connection.deadline).listDecisions(eventId, pageSize));
    // One document with every page merged, so scripts need not follow tokens.
    return show(ListDecisionsResponse.newBuilder().addAllDecisions(decisions).build(),
        () -> EventOutput.printDecisions(decisions, output, out()));
  }
}
