package flashsale.arbiter.core;

import flashsale.arbiter.core.Effect.Rejection;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.store.StoreRefusedException;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * One seeded run of regions, links, a store and the arbiter's {@link Sequencer}, all on one
 * simulated clock. Every effect is checked by a {@link SimOracle} as it is carried out, and the
 * oracle's step checks run after every scheduled job. Replays exactly from its seed.
 */
final class SequencerSimulation implements SimRegion.Arbiter {

  /** Region timeout above any silence of a healthy region here (30 ms link, 5 ms offline, 4.5 ms heartbeat). */
  static final SequencerConfig CONFIG = new SequencerConfig(16, 5_000, 1_000_000, 60_000);
  private static final long TICK_MICROS = 5_000;
  private static final long GIVE_UP_MICROS = 10_000_000;

  final long seed;
  final Random random;
  final SimScheduler scheduler = new SimScheduler();
  final LedgerStore store = new LedgerStore();
  final List<SimRegion> regions = new ArrayList<>();
  final List<EventSpec> events = new ArrayList<>();
  final List<String> flaggedRegions = new ArrayList<>();
  SimOracle oracle;
  private Sequencer sequencer = new Sequencer(CONFIG);
  private int leaderTerm;
  private int purchasesToCome;
  private long trace = 17;
  /** What this run exercised, so the test can show the faults actually happened. */
  final Map<String, Long> exercised = new TreeMap<>();
  long steps;

  SequencerSimulation(long seed) {
    this.seed = seed;
    this.random = new Random(seed);
  }

  /** Runs until every ticket is decided or rejected; throws AssertionError on any broken rule. */
  void run() {
    new SimWorkload(this).plan();
    scheduler.after(TICK_MICROS, this::tick);
    while (purchasesToCome > 0 || regions.stream().anyMatch(SimRegion::hasUndecided)) {
      if (scheduler.nowMicros() > GIVE_UP_MICROS || !scheduler.step()) {
        throw new AssertionError("stuck at " + scheduler.nowMicros() + "us: " + regions + " " + statuses());
      }
      steps++;
      oracle.stepDone(sequencer);
    }
  }

  long trace() {
    return trace;
  }

  List<EventStatus> statuses() {
    return events.stream().flatMap(e -> sequencer.eventStatus(e.eventId()).stream()).toList();
  }

  SimRegion region(String name) {
    return regions.stream().filter(r -> r.name.equals(name)).findFirst().orElseThrow();
  }

  // ---- world actions, scheduled by the workload ----

  void addEvent(EventSpec spec) {
    store.create(spec);
    spec.regions().forEach(r -> oracle.known(r, scheduler.nowMicros()));
    carryOut(sequencer.eventAdded(EventHead.fresh(spec), scheduler.nowMicros()));
  }

  void purchaseLater(long atMicros, SimRegion region, String eventId, String requestId, String userId, int quantity) {
    purchasesToCome++;
    scheduler.at(atMicros, () -> {
      purchasesToCome--;
      region.purchase(eventId, requestId, userId, quantity);
    });
  }

  void reconnect(SimRegion region, long offlineMicros) {
    if (!region.online()) return;
    count("reconnects");
    region.dropStream();
    carryOut(sequencer.regionDisconnected(region.name, scheduler.nowMicros()));
    scheduler.after(offlineMicros, region::connect);
  }

  /**
   * The region's network partitions: its stream goes silent both ways without either end noticing,
   * purchases pile up pending at the region, and only when it heals does the arbiter see the
   * stream end and the region reconnect and resend.
   */
  void partition(SimRegion region, long silentMicros) {
    if (!region.online()) return;
    count("partitions");
    region.dropStream();
    scheduler.after(silentMicros, () -> {
      carryOut(sequencer.regionDisconnected(region.name, scheduler.nowMicros()));
      region.connect();
    });
  }

  private void tick() {
    oracle.ticked(scheduler.nowMicros(), CONFIG.regionTimeoutMicros());
    carryOut(sequencer.tick(scheduler.nowMicros()));
    scheduler.after(TICK_MICROS, this::tick);
  }

  /** The leader dies with its batch in flight; a new one rebuilds from the store and every region reconnects. */
  void restartLeader() {
    leaderTerm++;
    count("leader restarts");
    sequencer = new Sequencer(CONFIG);
    oracle.arbiterRestarted(scheduler.nowMicros());
    for (String eventId : store.eventIds()) carryOut(sequencer.eventAdded(store.head(eventId), scheduler.nowMicros()));
    for (SimRegion region : regions) {
      if (!region.online()) continue;
      region.dropStream();
      scheduler.after(random.nextLong(5_000), region::connect);
    }
  }

  // ---- what region streams deliver to the arbiter ----

  @Override
  public void connected(SimRegion region) {
    oracle.known(region.name, scheduler.nowMicros());
    carryOut(sequencer.regionConnected(region.name, scheduler.nowMicros()));
  }

  @Override
  public void tickets(SimRegion region, List<Ticket> tickets) {
    tickets.forEach(t -> oracle.heard(region.name, t.stampMicros(), scheduler.nowMicros()));
    carryOut(sequencer.ticketsReceived(region.name, tickets, scheduler.nowMicros()));
  }

  @Override
  public void watermark(SimRegion region, long watermarkMicros) {
    oracle.heard(region.name, watermarkMicros, scheduler.nowMicros());
    carryOut(sequencer.watermarkReceived(region.name, watermarkMicros, scheduler.nowMicros()));
  }

  @Override
  public void clock(SimRegion region, long offsetMicros, long roundTripMicros) {
    oracle.clockReported(region.name, Math.abs(offsetMicros) - roundTripMicros / 2 > CONFIG.maxClockSkewMicros());
    carryOut(sequencer.clockReported(region.name, offsetMicros, roundTripMicros, scheduler.nowMicros()));
  }

  private void count(String what) {
    count(what, 1);
  }

  private void count(String what, long n) {
    exercised.merge(what, n, Long::sum);
  }

  // ---- carrying out effects ----

  private void carryOut(List<Effect> effects) {
    for (Effect effect : effects) {
      trace = trace * 31 + effect.hashCode();
      switch (effect) {
        case Effect.PersistBatch persist -> {
          count("late decisions", persist.batch().decisions().stream().filter(d -> d.late()).count());
          persist(persist.batch());
        }
        case Effect.SendDecisions send -> {
          oracle.told(send.decisions());
          count("decisions told to another region", send.decisions().stream()
              .filter(d -> !d.ticket().region().equals(send.region())).count());
          SimRegion region = region(send.region());
          region.downlink.send(() -> send.decisions().forEach(region::told));
        }
        case Effect.RejectTicket reject -> {
          if (reject.reason() != Rejection.CLOCK_SKEW || !oracle.flagged(reject.region())) {
            throw new AssertionError("unexpected " + reject);
          }
          count("clock rejections");
          SimRegion region = region(reject.region());
          region.downlink.send(() -> region.rejected(reject.ticket()));
        }
        case Effect.BroadcastSoldOut soldOut -> {
          if (store.remainingStock(soldOut.eventId()) != 0) throw new AssertionError(soldOut + " with stock left");
          count("sold-out broadcasts");
        }
        case Effect.SendClockVerdict verdict -> {
          if (verdict.flagged() != oracle.flagged(verdict.region())) throw new AssertionError("wrong " + verdict);
        }
        case Effect.RegionExclusion exclusion -> {
          if (exclusion.excluded() != oracle.excluded(exclusion.region())) throw new AssertionError("wrong " + exclusion);
          if (exclusion.excluded()) count("region timeouts");
        }
        case Effect.EventFinished finished -> count("events finished");
        case Effect.CutOffRegion cutOff -> throw new AssertionError("a well-behaved region was cut off: " + cutOff);
      }
    }
  }

  private boolean redeciding;

  /** The store writes after a delay, then acknowledges after another; a dead leader's writes and acks are lost. */
  private void persist(DecisionBatch batch) {
    if (!redeciding) oracle.batchBuilt(batch);
    int term = leaderTerm;
    scheduler.after(50 + random.nextLong(3_000), () -> {
      if (term != leaderTerm) {
        count("batches lost with their leader");
        return;
      }
      try {
        store.apply(batch);
      } catch (StoreRefusedException refusal) {
        count("batches refused for an earlier term's decisions");
        scheduler.after(random.nextLong(2_000), () -> {
          if (term != leaderTerm) return;
          redeciding = true; // the batch again: its tickets were released against the frontier of the first build
          carryOut(sequencer.batchRefused(batch.eventId(), batch.sequence(), refusal.decided(), refusal.unitsHeld(),
              scheduler.nowMicros()));
          redeciding = false;
        });
        return;
      }
      oracle.persisted(batch);
      scheduler.after(random.nextLong(2_000), () -> {
        if (term == leaderTerm) carryOut(sequencer.batchPersisted(batch.eventId(), batch.sequence(), scheduler.nowMicros()));
      });
    });
  }
}
