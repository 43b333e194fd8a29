package flashsale.loop;

import java.util.concurrent.Executor;

/**
 * Where a core's blocking store reads run, off its loop (their results are posted back to the
 * loop). Injectable for testing, like {@link LoopScheduler}: production passes a thread pool, the
 * simulation a store thread on its virtual clock, so a seeded run replays exactly.
 */
@FunctionalInterface
public interface OffLoop extends Executor {}
