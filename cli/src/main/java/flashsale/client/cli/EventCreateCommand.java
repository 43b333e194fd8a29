package flashsale.client.cli;

import flashsale.client.EventAdminClient;
import flashsale.client.FlashSaleException;
import flashsale.client.ProtoTimes;
import flashsale.v1.CreateEventResponse;
import flashsale.v1.Event;
import flashsale.v1.EventKind;
import flashsale.v1.EventMode;
import flashsale.v1.Slot;
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

  @Option(names = "--stock", description = "Units for sale (a flash sale); a reservation's is its slots' total.")
  Long stock;

  @Option(names = "--kind", defaultValue = "flash-sale", converter = KindConverter.class, paramLabel = "KIND",
      description = "flash-sale, reservation or auction (default: ${DEFAULT-VALUE}).")
  EventKind kind;

  @CommandLine.Mixin
  AuctionOptions auction = new AuctionOptions();

  @Option(names = "--slot", paramLabel = "NAME=CAPACITY",
      description = "A reservation's slot and its capacity; repeat it, in the order shown to users (--slot 18:00=4).")
  List<String> slots = List.of();

  @Option(names = "--start", required = true, paramLabel = "TIME", description = "When the sale opens.")
  String start;

  @Option(names = "--end", required = true, paramLabel = "TIME", description = "When the sale closes.")
  String end;

  @Option(names = "--per-user-limit", paramLabel = "N",
      description = "Most units one user may win (default: 1); not for --kind auction: bids have no per-user limit.")
  Integer perUserLimit;

  @Option(names = "--regions", required = true, split = ",", paramLabel = "REGION", description = "Regions that sell it, comma-separated.")
  List<String> regions;

  @Option(names = "--mode", converter = ModeConverter.class, paramLabel = "MODE",
      description = "global-order, sharded or central; a reservation or auction is global-order (the default for one).")
  EventMode mode;

  @Option(names = "--payment-window", converter = TimeArgs.DurationConverter.class, paramLabel = "DURATION",
      description = "After the win: a winner must pay within this (for example 10m), else the units go to the waitlist;"
          + " default: wins are final.")
  java.time.Duration paymentWindow;

  @Option(names = "--waitlist-bound", paramLabel = "N",
      description = "With --payment-window: how many losers for lack of stock may wait (default: twice the stock).")
  Long waitlistBound;

  @Option(names = "--request-id",
      description = "Idempotency key; default: a new random UUID, printed at the end of the error line if the call "
          + "fails ('; request id: ID'): a retry with it returns the event if the first try created it.")
  String requestId;

  @Override
  public Integer call() {
    connection.expectArbiter();
    Instant now = Instant.now();
    Instant startTime = TimeArgs.parseInstant(start, output.zone, now);
    Instant endTime = TimeArgs.parseInstant(end, output.zone, now);
    if (!endTime.isAfter(startTime)) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--end (" + TimeArgs.format(endTime, output.zone) + ") must be after --start ("
              + TimeArgs.format(startTime, output.zone) + ")");
    }
    boolean reservation = kind == EventKind.EVENT_KIND_RESERVATION;
    if (reservation == slots.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          reservation ? "--kind reservation needs at least one --slot NAME=CAPACITY" : "--slot is only for --kind reservation");
    }
    boolean isAuction = kind == EventKind.EVENT_KIND_AUCTION;
    if (!isAuction && auction.given()) {
      throw new CommandLine.ParameterException(spec.commandLine(), "auction rules are only for --kind auction");
    }
    if (isAuction && perUserLimit != null) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--per-user-limit is not for --kind auction: bids have no per-user limit");
    }
    if (!reservation && !isAuction && (stock == null || mode == null)) {
      throw new CommandLine.ParameterException(spec.commandLine(), "a flash sale needs --stock and --mode");
    }
    Event event =
        Event.newBuilder()
            .setEventId(eventId)
            .setItem(item)
            .setStock(stock == null ? 0 : stock)
            .setStartTime(ProtoTimes.timestamp(startTime))
            .setEndTime(ProtoTimes.timestamp(endTime))
            .setPerUserLimit(isAuction ? 0 : perUserLimit == null ? 1 : perUserLimit)
            .addAllRegions(regions)
            .setMode(mode == null ? EventMode.EVENT_MODE_GLOBAL_ORDER : mode)
            .setKind(kind)
            .addAllSlots(slots.stream().map(this::slot).toList())
            .mergeFrom(isAuction ? Event.newBuilder().setAuction(auction.settings(spec.commandLine())).build()
                : Event.getDefaultInstance())
            .build();
    if (waitlistBound != null && paymentWindow == null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--waitlist-bound needs --payment-window");
    }
    String id = requestIdOrNew(requestId);
    List<String> unheard = new java.util.ArrayList<>();
    boolean relativeTimes = TimeArgs.isRelative(start) || TimeArgs.isRelative(end);
    Event created = connection.withChannel(channel -> {
      var admin = new EventAdminClient(channel, connection.deadline);
      Event stored;
      try {
        stored = create(admin, id, event);
      } catch (FlashSaleException e) {
        if (!relativeTimes || !createdThisEventWithOtherContent(e, event)) throw e;
        stored = create(admin, id, withTheStoredTimes(admin, event)); // other content still: REQUEST_ID_REUSED
        spec.commandLine().getErr().printf("note: request id %s created this event in an earlier run; its times are"
            + " the ones that run read (now, +N), as stored%n", id);
      }
      unheard.addAll(regionsNeverConnected(admin, stored.getRegionsList()));
      return stored;
    });
    int shown = show(CreateEventResponse.newBuilder().setEvent(created).build(), () -> {
      out().print("created ");
      EventOutput.printEvent(created, output, out());
    });
    if (!unheard.isEmpty()) {
      // A typo in --regions is accepted (regions may connect later), and the sale then waits for a
      // region that never comes until the region timeout, each time: say so while it is easy to fix.
      spec.commandLine().getErr().printf("warning: no node of region(s) %s is connected to this arbiter now; a "
          + "misspelled region would never sell and holds the sale back by the region timeout%n", String.join(", ", unheard));
    }
    return shown;
  }

  private Event create(EventAdminClient admin, String id, Event event) {
    return paymentWindow == null ? admin.createEvent(id, event) : admin.createEvent(id, event, paymentWindow, waitlistBound);
  }

  /**
   * A retry whose times are relative ({@code --start now --end +1h}) reads other times than the run
   * that created the event, so the arbiter answers {@code REQUEST_ID_REUSED} naming the event this
   * request id created: when that is this event id, the create is sent again with the times the
   * first run stored, as the same request (the arbiter still compares everything else, and
   * registers an event stored but not yet on sale, as for any retry).
   */
  private static boolean createdThisEventWithOtherContent(FlashSaleException refusal, Event asked) {
    return refusal.reason().orElse("").equals("REQUEST_ID_REUSED")
        && refusal.metadata("event_id").orElse("").equals(asked.getEventId());
  }

  private static Event withTheStoredTimes(EventAdminClient admin, Event asked) {
    Event stored = admin.getEvent(asked.getEventId()).getEvent();
    return asked.toBuilder().setStartTime(stored.getStartTime()).setEndTime(stored.getEndTime()).build();
  }

  /** The event's regions that no node is connected for now; empty when the arbiter cannot say. */
  private static List<String> regionsNeverConnected(EventAdminClient admin, List<String> eventRegions) {
    try {
      var connected = admin.listRegions().stream().filter(r -> r.getConnected())
          .map(flashsale.v1.RegionStatus::getRegion).collect(java.util.stream.Collectors.toSet());
      return eventRegions.stream().filter(r -> !connected.contains(r)).toList();
    } catch (RuntimeException e) { // the event is created: a warning that cannot be checked is left out
      return List.of();
    }
  }

  private Slot slot(String nameEqualsCapacity) {
    int eq = nameEqualsCapacity.lastIndexOf('=');
    try {
      if (eq <= 0) throw new NumberFormatException();
      return Slot.newBuilder().setName(nameEqualsCapacity.substring(0, eq))
          .setCapacity(Long.parseLong(nameEqualsCapacity.substring(eq + 1))).build();
    } catch (NumberFormatException e) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--slot '" + nameEqualsCapacity + "' is not NAME=CAPACITY (for example 18:00=4)");
    }
  }

  /** Reads {@code flash-sale}, {@code reservation} or {@code auction}, any case, - or _. */
  static final class KindConverter implements CommandLine.ITypeConverter<EventKind> {
    @Override
    public EventKind convert(String value) {
      return switch (value.toLowerCase(Locale.ROOT).replace('_', '-')) {
        case "flash-sale" -> EventKind.EVENT_KIND_FLASH_SALE;
        case "reservation" -> EventKind.EVENT_KIND_RESERVATION;
        case "auction" -> EventKind.EVENT_KIND_AUCTION;
        default -> throw new CommandLine.TypeConversionException(
            "unknown kind '" + value + "': use flash-sale, reservation or auction");
      };
    }
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
