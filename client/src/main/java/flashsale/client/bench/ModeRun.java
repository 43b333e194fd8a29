package flashsale.client.bench;

import flashsale.client.load.RequestRecord;
import flashsale.client.report.RunResult;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.wire.Times;
import io.grpc.Channel;
import java.util.Comparator;
import java.util.List;

/**
 * One mode on one burst: creates a fresh event in that mode over the given regions, fires the
 * burst, and returns the records under the mode's name.
 *
 * <p>Ranks are what each mode knows of order: GLOBAL_ORDER's global rank, CENTRAL's order of
 * arrival at the central store. SHARDED has no global order (each shard counts its own), so its
 * decisions are ranked by decide time, which all shards here take from one host clock.
 */
public final class ModeRun {
  private ModeRun() {}

  public static RunResult run(Channel admin, BurstDriver driver, EventMode mode, String eventId, long stock,
      List<String> regions, BurstPlan plan) throws InterruptedException {
    createEvent(admin, mode, eventId, stock, regions);
    List<RequestRecord> records = driver.run(eventId, plan);
    if (mode == EventMode.EVENT_MODE_SHARDED) records = rankByDecideTime(records);
    return new RunResult(mode.name().substring("EVENT_MODE_".length()), records);
  }

  /** Creates an open event of {@code mode} over {@code regions} and waits until every region has heard of it. */
  public static void createEvent(Channel admin, EventMode mode, String eventId, long stock, List<String> regions)
      throws InterruptedException {
    createEvent(admin, mode, eventId, stock, regions, java.time.Duration.ofMinutes(10));
  }

  /** As above, ending {@code open} from now (the arbiter lets an ended event go after its finish grace). */
  public static void createEvent(Channel admin, EventMode mode, String eventId, long stock, List<String> regions,
      java.time.Duration open) throws InterruptedException {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder()
        .setEventId(eventId)
        .setItem("limited sneakers")
        .setStock(stock)
        .setStartTime(Times.timestamp(nowMicros - 1_000_000))
        .setEndTime(Times.timestamp(nowMicros + open.toNanos() / 1000))
        .setPerUserLimit(1)
        .addAllRegions(regions)
        .setMode(mode)
        .build();
    EventAdminServiceGrpc.newBlockingStub(admin)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
    Thread.sleep(200); // the announcement reaches every region, however far
  }

  private static List<RequestRecord> rankByDecideTime(List<RequestRecord> records) {
    List<RequestRecord> decided = records.stream().filter(RequestRecord::decided)
        .sorted(Comparator.comparingLong(RequestRecord::decideMicros).thenComparingLong(RequestRecord::rank))
        .toList();
    java.util.Map<String, Long> rank = new java.util.HashMap<>();
    for (int i = 0; i < decided.size(); i++) rank.put(decided.get(i).requestId(), i + 1L);
    return records.stream().map(r -> !r.decided() ? r : new RequestRecord(r.requestId(), r.userId(), r.region(),
        r.sendMicros(), r.clientDelayMicros(), r.outcome(), rank.get(r.requestId()), r.arrivalMicros(),
        r.decideMicros(), r.latencyMicros(), r.errorCode(), r.wireMicros())).toList();
  }
}
