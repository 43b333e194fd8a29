package flashsale.client.cli;

import flashsale.client.EventAdminClient;
import flashsale.client.FlashSaleClient;
import flashsale.client.ProtoTimes;
import flashsale.v1.CreateEventResponse;
import flashsale.v1.Event;
import flashsale.v1.EventMode;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code flashsale event create}: defines a sale on the arbiter. */
@Command(
    name = "create",
    description = {
      "Create an event on the arbiter. Times: ISO-8601 with offset (2025-06-18T20:00:00+08:00),",
      "a local time read in --zone (2025-06-18T20:00), now, or relative to now (+5s, +2m). Sent as UTC."
    })
final class EventCreateCommand extends NodeCommand {
  @Option(names = "--event", required = true, description = "New event's id.")
  String eventId;

  @Option(names = "--item", required = true, description = "What is on sale.")
  String item;

  @Option(names = "--stock", required = true, description = "Units for sale.")
  long stock;

  @Option(names = "--start", required = true, paramLabel = "TIME", description = "When the sale opens.")
  String start;

  @Option(names = "--end", required = true, paramLabel = "TIME", description = "When the sale closes.")
  String end;

  @Option(names = "--per-user-limit", defaultValue = "1", description = "Most units one user may win (default: ${DEFAULT-VALUE}).")
  int perUserLimit;

  @Option(names = "--regions", required = true, split = ",", paramLabel = "REGION", description = "Regions that sell it, comma-separated.")
  List<String> regions;

  @Option(names = "--mode", required = true, converter = ModeConverter.class, paramLabel = "MODE",
      description = "global-order, sharded or central.")
  EventMode mode;

  @Option(names = "--request-id", description = "Idempotency key; default: a new random UUID.")
  String requestId;

  @Override
  public Integer call() {
    Instant now = Instant.now();
    Instant startTime = TimeArgs.parseInstant(start, output.zone, now);
    Instant endTime = TimeArgs.parseInstant(end, output.zone, now);
    if (!endTime.isAfter(startTime)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--end (" + TimeArgs.format(endTime, output.zone) + ") must be after --start ("
              + TimeArgs.format(startTime, output.zone) + ")");
    }
    Event event =
        Event.newBuilder()
            .setEventId(eventId)
            .setItem(item)
            .setStock(stock)
            .setStartTime(ProtoTimes.timestamp(startTime))
            .setEndTime(ProtoTimes.timestamp(endTime))
            .setPerUserLimit(perUserLimit)
            .addAllRegions(regions)
            .setMode(mode)
            .build();
    String id = requestId != null ? requestId : FlashSaleClient.newRequestId();
    Event created = connection.withChannel(
        channel -> new EventAdminClient(channel, connection.deadline).createEvent(id, event));
    return show(CreateEventResponse.newBuilder().setEvent(created).build(), () -> {
      out().print("created ");
      EventOutput.printEvent(created, output, out());
    });
  }

  /** Reads {@code global-order}, {@code sharded} or {@code central}, any case, - or _. */
  static final class ModeConverter implements CommandLine.ITypeConverter<EventMode> {
    @Override
    public EventMode convert(String value) {
      return switch (value.toLowerCase(Locale.ROOT).replace('_', '-')) {
        case "global-order" -> EventMode.EVENT_MODE_GLOBAL_ORDER;
        case "sharded" -> EventMode.EVENT_MODE_SHARDED;
        case "central" -> EventMode.EVENT_MODE_CENTRAL;
        default -> throw new CommandLine.TypeConversionException(
            "unknown mode '" + value + "': use global-order, sharded or central");
      };
    }
  }
}
