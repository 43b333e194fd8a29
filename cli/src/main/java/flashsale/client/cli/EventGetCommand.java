package flashsale.client.cli;

import flashsale.client.EventAdminClient;
import flashsale.v1.EventAdminServiceGetEventResponse;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flashsale event get}: an event with its state and live counters. */
@Command(name = "get", description = "Show an event, its state and its live counters (asks the arbiter).")
final class EventGetCommand extends NodeCommand {
  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Override
  public Integer call() {
    connection.expectArbiter();
    EventAdminServiceGetEventResponse response =
        connection.withChannel(channel -> new EventAdminClient(channel, connection.deadline).getEvent(eventId));
    return show(response, () -> EventOutput.printAdminView(response, output, out()));
  }
}
