package flashsale.system.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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
 * no SHARDED events (checked by {@link SimShardOracle}). A failure names its seed.
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
    long steps = 0;
    Map<String, Long> exercised = new TreeMap<>();
    long started = System.nanoTime();
    for (long seed = first; seed < first + count; seed++) {
      WholeSystemSimulation sim = runChecked(seed);
      steps += sim.steps;
      sim.oracle.exercised.forEach((what, n) -> exercised.merge(what, n, Long::sum));
    }
    long elapsedMs = (System.nanoTime() - started) / 1_000_000;
    System.out.printf("%d seeds from %d, %d steps in %d ms (%.0f seeds/s), exercised %s%n",
        count, first, steps, elapsedMs, count * 1000.0 / Math.max(1, elapsedMs), exercised);
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
