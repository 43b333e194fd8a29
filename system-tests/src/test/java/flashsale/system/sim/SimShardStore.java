package flashsale.system.sim;

import flashsale.store.memory.InMemoryShardStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One region's shard store (its own Redis, in production): the contract-tested {@link
 * InMemoryShardStore} behind simulated connections. A call lands after its caller's one-way delay
 * and the reply comes back after another, on the caller's loop, so a caller that died meanwhile
 * hears nothing. A call may lose its request (nothing happens) or its reply (it happened), and
 * while the store is down every call is lost; the caller sees a timeout either way. Each caller's
 * calls land in the order sent (one connection). The oracle looks at the store after every call.
 */
final class SimShardStore {
  private static final long TIMEOUT_MICROS = 5_000;

  final String region;
  final InMemoryShardStore memory;
  private final SimScheduler scheduler;
  private final Random random;
  private final Consumer<String> count;
  private final Runnable changed;
  /** Out of 1000 calls, how many lose their request or their reply. */
  private final int lossPerMille;
  private long downFromMicros = Long.MAX_VALUE;
  private long downUntilMicros = Long.MAX_VALUE;
  private final Map<NodeLoop, Long> lastLandsMicros = new HashMap<>();

  SimShardStore(String region, SimScheduler scheduler, Random random, int lossPerMille, Consumer<String> count,
      Runnable changed) {
    this.region = region;
    this.memory = new InMemoryShardStore(() -> java.time.Instant.EPOCH.plusNanos(
        (SimClock.EPOCH_MICROS + scheduler.nowMicros()) * 1_000));
    this.scheduler = scheduler;
    this.random = random;
    this.lossPerMille = lossPerMille;
    this.count = count;
    this.changed = changed;
  }

  /** The store does not answer in {@code [fromMicros, untilMicros)} (true time). */
  void down(long fromMicros, long untilMicros) {
    downFromMicros = fromMicros;
    downUntilMicros = untilMicros;
  }

  private boolean downAt(long micros) {
    return micros >= downFromMicros && micros < downUntilMicros;
  }

  /**
   * {@code op} at this store, for {@code caller}, {@code oneWayMicros} (plus jitter) away; {@code
   * reply} hears its result on the caller's loop, or empty after a timeout.
   */
  <T> void call(NodeLoop caller, long oneWayMicros, Supplier<T> op, Consumer<Optional<T>> toCaller) {
    Consumer<Optional<T>> reply = caller.ofThisProcess(toCaller); // the calling process's, not a later one
    long sentMicros = scheduler.nowMicros();
    if (random.nextInt(1000) < lossPerMille) {
      count.accept("shard store requests lost");
      caller.at(sentMicros + TIMEOUT_MICROS, () -> reply.accept(Optional.empty()));
      return;
    }
    long landsMicros = Math.max(lastLandsMicros.getOrDefault(caller, 0L) + 1,
        sentMicros + oneWayMicros + random.nextLong(oneWayMicros / 4 + 1));
    lastLandsMicros.put(caller, landsMicros);
    boolean replyLost = random.nextInt(1000) < lossPerMille;
    long backMicros = oneWayMicros + random.nextLong(oneWayMicros / 4 + 1);
    scheduler.at(landsMicros, () -> {
      if (downAt(landsMicros)) {
        count.accept("shard store calls while down");
        caller.at(sentMicros + TIMEOUT_MICROS, () -> reply.accept(Optional.empty()));
        return;
      }
      T result = op.get();
      changed.run();
      if (replyLost) {
        count.accept("shard store replies lost");
        caller.at(Math.max(sentMicros + TIMEOUT_MICROS, landsMicros), () -> reply.accept(Optional.empty()));
        return;
      }
      caller.at(landsMicros + backMicros, () -> reply.accept(Optional.of(result)));
    });
  }
}
