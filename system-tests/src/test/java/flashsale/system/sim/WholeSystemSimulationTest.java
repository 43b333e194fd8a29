package flashsale.system.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Ten thousand seeded runs of the whole system on its production cores (see
 * {@link WholeSystemSimulation}), with every rule checked after every step, and every order write
 * of the events with a payment window checked by {@link SimOrderOracle}. {@code -Dsim.seeds=N}
 * runs N seeds from {@code -Dsim.first} (default 0); {@code -Dsim.seed=S} replays one;
 * {@code -Dsim.regionNodes=false} runs every region on one node; {@code -Dsim.sharded=false} plans
 * no SHARDED events (checked by {@link SimShardOracle}); {@code -Dsim.threads=N} runs seeds on N threads
 * (default: one per core; each seed is its own world, so the sums do not change). A failure names
 * its seed, the lowest that failed.
 */
class WholeSystemSimulationTest {
  private static final Logger FLASHSALE = (Logger) LoggerFactory.getLogger("flashsale");
  private static Level level;

  /** The nodes log every reconnect and failover, as they should; ten thousand runs of that is noise. */
  @BeforeAll
  static void quiet() {
    level = FLASHSALE.getLevel();
    FLASHSALE.setLevel(Level.OFF);
  }

  @AfterAll
  static void loud() {
    FLASHSALE.setLevel(level);
  }

  @Test
  void everyRuleHoldsAfterEveryStepOfEverySeed() {
    String one = System.getProperty("sim.seed");
    long first = one == null ? Long.getLong("sim.first", 0) : Long.parseLong(one);
    long count = one == null ? Long.getLong("sim.seeds", 10_000) : 1;
    int threads = Integer.getInteger("sim.threads", Runtime.getRuntime().availableProcessors());
    long started = System.nanoTime();
    Seeds seeds = runAll(first, count, threads);
    long steps = seeds.steps();
    Map<String, Long> exercised = seeds.exercised();
    long elapsedMs = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("%d seeds from %d on %d threads, %d steps in %d ms (%.0f seeds/s), exercised %s%n",
        count, first, threads, steps, elapsedMs, count * 1000.0 / Math.max(1, elapsedMs), exercised);
    assertTrue(steps > count * 100, "runs too short to mean anything: " + steps + " steps");
    if (count >= 1000) {
      for (String fault : List.of("streams broken", "partitions", "region crashes", "leader changes",
          "leaders paused past their lease", "leader crashes", "terms ended by a fenced write", "store requests lost",
          "store replies lost", "persist retries", "batches refused and decided again", "late decisions",
          "regions left out for silence", "clocks flagged", "tickets refused for a bad clock",
          "decisions told to another region", "sold-out broadcasts", "purchases sent through two regions",
          "reservations", "reservations won in a first choice", "reservations won in a later choice",
          "auctions", "auctions closed", "bids answered ACCEPTED", "bids answered OUTBID", "bids answered TOO_LOW",
          "bids answered CLOSED", "bids refused after the close",
          "events with a payment window", "payments", "payments within 3 ms of the deadline", "cancellations", "expiries",
          "confirms refused after expiry", "cancels refused (EXPIRED)", "waitlist joins", "waitlist leaves", "promotions",
          "order calls sent twice", "order calls answered again alike", "order books taken over mid-payment",
          "order writes lost", "order write replies lost", "order writes fenced", "sold-out events ended all paid",
          "sold-out events ended with the waitlist spent")) {
        assertTrue(exercised.getOrDefault(fault, 0L) > 0, "no run exercised " + fault + ": " + exercised);
      }
      if (SimShards.ON) {
        for (String sharded : List.of("sharded events", "sharded events with a quiet region", "shard transfers DEBITED",
            "shard transfers SHORT", "half-done shard transfers completed", "sharded purchases held for borrowed stock",
            "sharded purchases queued behind a held one", "held purchases decided on a retry",
            "held purchases lost once sold out everywhere",
            "held purchases lost asking more than the event had left", "shard holds run out (STOCK_IN_TRANSIT)",
            "sharded purchases sent to their home region", "sharded purchases lost for LIMIT_EXCEEDED",
            "sharded retries answered alike by the store", "sharded purchases failed on the store",
            "shard store requests lost", "shard store replies lost", "shard store calls while down", "shard reports lost",
            "shard reports unanswered", "shard reports refused (not leading)", "shard rounds ended early: STORE_UNANSWERED",
            "sold out everywhere told")) {
          assertTrue(exercised.getOrDefault(sharded, 0L) > 0, "no run exercised " + sharded + ": " + exercised);
        }
      }
      if (SimWorkload.REGION_NODES) {
        assertTrue(exercised.getOrDefault("named nodes welcomed", 0L) > 0, "no region ran two nodes: " + exercised);
      }
    }
  }

  @Test
  void aSeedReplaysExactly() {
    for (long seed = 0; seed < 20; seed++) {
      WholeSystemSimulation a = runChecked(seed);
      WholeSystemSimulation b = runChecked(seed);
      assertEquals(a.trace, b.trace, "seed=" + seed);
      assertEquals(a.steps, b.steps, "seed=" + seed);
    }
  }

  /** What a range of seeds did: steps and exercised counts summed over every seed. */
  private record Seeds(long steps, Map<String, Long> exercised) {}

  /**
   * Runs seeds {@code first .. first + count - 1} on {@code threads} threads. Each seed is a world of
   * its own (its own scheduler, network and nodes), so the sums do not depend on the threads. On a
   * failure the seeds above it are skipped, and the lowest failing seed is the one reported, as
   * one thread would have.
   */
  private static Seeds runAll(long first, long count, int threads) {
    AtomicLong next = new AtomicLong(first);
    AtomicLong stopAt = new AtomicLong(first + count);
    ConcurrentSkipListMap<Long, Throwable> failures = new ConcurrentSkipListMap<>();
    LongAdder steps = new LongAdder();
    LongAdder seedsRun = new LongAdder();
    Map<String, Long> exercised = new ConcurrentHashMap<>();
    Runnable worker = () -> {
      for (long seed = next.getAndIncrement(); seed < stopAt.get(); seed = next.getAndIncrement()) {
        try {
          WholeSystemSimulation sim = runChecked(seed);
          steps.add(sim.steps);
          sim.oracle.exercised.forEach((what, n) -> exercised.merge(what, n, Long::sum));
          seedsRun.increment();
        } catch (Throwable e) { // a world that cannot even be built, or runs out of memory, fails its seed too
          failures.put(seed, e);
          stopAt.accumulateAndGet(seed, Math::min);
        }
      }
    };
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < Math.max(1, threads); i++) workers.add(Thread.ofPlatform().name("sim-" + i).start(worker));
    for (Thread w : workers) {
      try {
        w.join();
      } catch (InterruptedException e) {
        stopAt.set(first); // the workers stop after the seed they are on
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for the simulation's threads", e);
      }
    }
    if (!failures.isEmpty()) {
      var lowest = failures.firstEntry();
      throw lowest.getValue() instanceof AssertionError a ? a
          : new AssertionError("seed=" + lowest.getKey() + " (replay with -Dsim.seed=" + lowest.getKey() + "): "
              + lowest.getValue(), lowest.getValue());
    }
    if (seedsRun.sum() != count) throw new AssertionError("ran " + seedsRun.sum() + " of " + count + " seeds");
    return new Seeds(steps.sum(), new TreeMap<>(exercised));
  }

  private static WholeSystemSimulation runChecked(long seed) {
    WholeSystemSimulation sim = new WholeSystemSimulation(seed);
    try {
      sim.run();
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed=" + seed + " (replay with -Dsim.seed=" + seed + ") at " + sim.scheduler.nowMicros()
          + " us: " + e.getMessage(), e);
    }
    return sim;
  }
}
