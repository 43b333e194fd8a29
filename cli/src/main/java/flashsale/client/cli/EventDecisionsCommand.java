package flashsale.client.cli;

import flashsale.client.EventAdminClient;
import flashsale.client.cli.EventOutput.DecisionLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flashsale event decisions}: the audit log of an event, every page, printed as the pages
 * arrive so that a log of millions of decisions needs the memory of one page.
 */
@Command(name = "decisions", description = {
    "List an event's decisions in global rank order (the audit log, from the arbiter).",
    "Printed page by page as they arrive; if a call fails part way the output is cut short and the exit code says so."})
final class EventDecisionsCommand extends NodeCommand {
  @Option(names = "--event", required = true, description = "Event id.")
  String eventId;

  @Option(names = "--page-size", defaultValue = "500", description = "Decisions fetched per call, 1..1000 (default: ${DEFAULT-VALUE}).")
  int pageSize;

  /** Where the next page starts: a redirect to a new leader goes on from here, printing nothing twice. */
  private String nextPageToken = "";
  private DecisionLog log;

  @Override
  public Integer call() {
    connection.expectArbiter();
    if (pageSize < 1 || pageSize > 1000) {
      throw new IllegalArgumentException("--page-size must be 1..1000, got " + pageSize);
    }
    connection.withChannel(channel -> {
      var admin = new EventAdminClient(channel, connection.deadline);
      if (log == null) {
        log = output.json ? DecisionLog.json(out()) : DecisionLog.table(admin.getEvent(eventId).getEvent(), output, out());
      }
      admin.forEachDecisionPage(eventId, pageSize, nextPageToken, page -> {
        log.page(page.getDecisionsList());
        nextPageToken = page.getNextPageToken();
      });
      return null;
    });
    log.end();
    return ExitCodes.OK;
  }
}
