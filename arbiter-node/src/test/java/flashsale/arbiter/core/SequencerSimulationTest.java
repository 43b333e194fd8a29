package flashsale.arbiter.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.EventSpec;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Thousands of seeded runs of regions, lossy reconnecting streams, silent partitions past the
 * region timeout, a slow store, leader changes (the deposed leader's unacknowledged batches are
 * fenced: lost) and clock flags against the sequencer, with every rule checked after every step. {@code
 * -Dsim.seeds=N} runs N seeds; {@code -Dsim.seed=S} replays one. A failure names its seed.
 */
class SequencerSimulationTest {

  @Test
  void everyRuleHoldsAfterEveryStepOfEverySeed() {
    String one = System.getProperty("sim.seed");
    long first = one == null ? 0 : Long.parseLong(one);
    long count = one == null ? Long.getLong("sim.seeds", 3000) : 1;
    long steps = 0;
    Map<String, Long> exercised = new TreeMap<>();
    long started = System.nanoTime();
    for (long seed = first; seed < first + count; seed++) {
      SequencerSimulation sim = runChecked(seed);
      steps += sim.steps;
      sim.exercised.forEach((what, n) -> exercised.merge(what, n, Long::sum));
    }
    System.out.printf("%d seeds from %d, %d steps in %d ms, exercised %s%n",
        count, first, steps, (System.nanoTime() - started) / 1_000_000, exercised);
    assertTrue(steps > count * 100, "runs too short to mean anything: " + steps + " steps");
    if (count >= 500) {
      for (String fault : List.of("reconnects", "leader restarts", "batches lost with their leader", "late decisions",
          "partitions", "region timeouts",
          "decisions told to another region", "clock rejections", "sold-out broadcasts")) {
        assertTrue(exercised.getOrDefault(fault, 0L) > 0, "no run exercised " + fault + ": " + exercised);
      }
    }
  }

  @Test
  void aSeedReplaysExactly() {
    for (long seed = 0; seed < 20; seed++) {
      assertEquals(runChecked(seed).trace(), runChecked(seed).trace(), "seed=" + seed);
    }
  }

  private static SequencerSimulation runChecked(long seed) {
    SequencerSimulation sim = new SequencerSimulation(seed);
    try {
      sim.run();
      checkEnd(sim);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed=" + seed + " (replay with -Dsim.seed=" + seed + "): " + e.getMessage(), e);
    }
    return sim;
  }

  /** Every ticket got an answer (the run's loop); every event that an unflagged region sells sold out. */
  private static void checkEnd(SequencerSimulation sim) {
    for (EventSpec spec : sim.events) {
      boolean unflaggedSeller = spec.regions().stream().anyMatch(r -> !sim.flaggedRegions.contains(r));
      if (unflaggedSeller && sim.store.remainingStock(spec.eventId()) != 0) {
        throw new AssertionError("undersold " + spec.eventId() + ": " + sim.store.remainingStock(spec.eventId())
            + " of " + spec.stock() + " left " + sim.statuses());
      }
      EventStatus status = sim.statuses().stream().filter(s -> s.eventId().equals(spec.eventId())).findFirst().orElseThrow();
      if (status.pendingTickets() != 0 || status.decisions() != sim.store.decisions(spec.eventId()).size()) {
        throw new AssertionError("arbiter and store disagree at the end: " + status);
      }
    }
  }
}
