package flashsale.client.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.FlashSaleChannels;
import flashsale.client.fakes.FakeCluster;
import flashsale.client.report.FairnessMetrics;
import flashsale.client.report.RegionShare;
import flashsale.v1.Event;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class LoadGeneratorTest {
  private static final long FAR_DELAY_MICROS = 200_000;

  private final FakeCluster cluster = new FakeCluster();
  private final List<ManagedChannel> channels = new ArrayList<>();
  private List<RegionTarget> regions;

  @BeforeEach
  void start() throws Exception {
    regions = List.of(target("near"), target("far"));
  }

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
  }

  private RegionTarget target(String name) throws Exception {
    ManagedChannel channel = FlashSaleChannels.forTarget(cluster.startRegion(name));
    channels.add(channel);
    return new RegionTarget(name, channel);
  }

  private void createEvent(String eventId, long stock) {
    cluster.ledger.addEvent(Event.newBuilder().setEventId(eventId).setStock(stock).build());
  }

  @Test
  void farUsersLoseTheFirstComeFirstServedBaselineAndTheRecordsShowIt() throws Exception {
    createEvent("shoes", 20);
    // 80 users, all at once; far users' requests travel 200 ms longer to their region.
    LoadConfig config = LoadConfig.of("shoes", regions, 80, 80, Duration.ofSeconds(1), ArrivalPattern.BURST)
        .withClientDelay(p -> p.region().equals("far") ? FAR_DELAY_MICROS : 0);

    LoadResult result = new LoadGenerator(config).run();

    List<RequestRecord> records = result.records();
    assertEquals(80, records.size());
    assertEquals(80, new HashSet<>(records.stream().map(RequestRecord::requestId).toList()).size());
    assertEquals(20, result.count(RecordOutcome.WON));
    assertEquals(60, result.count(RecordOutcome.LOST));
    for (RequestRecord r : records) {
      long expectedDelay = r.region().equals("far") ? FAR_DELAY_MICROS : 0;
      assertEquals(expectedDelay, r.clientDelayMicros());
      assertTrue(r.latencyMicros() >= expectedDelay, r.toString());
      assertTrue(r.arrivalMicros() - r.sendMicros() >= expectedDelay, r.toString());
    }
    Map<String, RegionShare> shares = FairnessMetrics.regionShares(records).stream()
        .collect(Collectors.toMap(RegionShare::region, Function.identity()));
    assertEquals(0, shares.get("far").actualWins(), "the near region reaches the stock first");
    assertTrue(shares.get("far").idealWins() > 0, "yet far users sent some of the earliest requests");
    assertTrue(FairnessMetrics.winnerPrecision(records) < 1.0);
  }

  @Test
  void deadlineFallsBackToPendingAndFailuresAreRecordedWithTheirCode() throws Exception {
    createEvent("slow", 5);
    cluster.ledger.hold("slow");
    LoadConfig slow = LoadConfig.of("slow", regions, 4, 4, Duration.ofSeconds(1), ArrivalPattern.BURST)
        .withDeadline(Duration.ofMillis(200));
    LoadConfig missing = LoadConfig.of("missing", regions, 4, 4, Duration.ofSeconds(1), ArrivalPattern.BURST);

    LoadResult pending = new LoadGenerator(slow).run();
    LoadResult failed = new LoadGenerator(missing).run();

    assertEquals(4, pending.count(RecordOutcome.PENDING));
    assertTrue(pending.records().stream().allMatch(r -> r.arrivalMicros() >= r.sendMicros()));
    assertEquals(4, failed.count(RecordOutcome.ERROR));
    assertTrue(failed.records().stream().allMatch(r -> r.errorCode().equals("NOT_FOUND")));
  }

  @Test
  @Timeout(10)
  void winWithoutRankIsRecordedAsAnErrorInsteadOfStallingTheRun() throws Exception {
    createEvent("buggy", 5);
    cluster.ledger.omitRanks();

    LoadResult result = new LoadGenerator(
        LoadConfig.of("buggy", regions, 6, 6, Duration.ofSeconds(1), ArrivalPattern.BURST)).run();

    // stock 5: five wins without a rank break the contract; the sixth, a loss without a rank, is
    // what a region's sold-out fast path answers
    assertEquals(5, result.count(RecordOutcome.ERROR));
    assertEquals(1, result.count(RecordOutcome.LOST));
  }

  @Test
  void poissonRunSpreadsSendsOverTheDurationAndReportsProgress() throws Exception {
    createEvent("poisson", 1_000);
    LoadConfig config = LoadConfig.of("poisson", regions, 1_000, 200, Duration.ofMillis(500), ArrivalPattern.POISSON)
        .withSeed(3);
    LoadGenerator generator = new LoadGenerator(config);

    LoadResult result = generator.run();

    int planned = generator.plan().size();
    assertEquals(planned, result.records().size());
    assertEquals(new LoadProgress(planned, planned, planned, 0, 0), withoutElapsed(generator.progress()));
    // Nothing leaves before it is due (1 ms slack for wall clock against the monotonic schedule).
    for (RequestRecord r : result.records()) {
      PlannedRequest p = generator.plan().get(Integer.parseInt(r.requestId().substring(r.requestId().lastIndexOf('-') + 1)));
      assertEquals(p.requestId(), r.requestId());
      assertTrue(r.sendMicros() - result.startMicros() >= p.offsetMicros() - 1_000, r + " due " + p.offsetMicros());
    }
  }

  private static LoadProgress withoutElapsed(LoadProgress p) {
    return new LoadProgress(p.planned(), p.sent(), p.completed(), p.errors(), 0);
  }
}
