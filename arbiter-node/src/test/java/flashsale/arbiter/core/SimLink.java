package flashsale.arbiter.core;

import java.util.Random;

/**
 * One direction of a region's stream: FIFO with a random delay per message. Cutting the link (a
 * reconnect or a leader change) drops every message still in flight on it.
 */
final class SimLink {

  private final SimScheduler scheduler;
  private final Random random;
  private final long baseDelayMicros;
  private final long jitterMicros;
  private long epoch;
  private long lastDeliveryMicros;

  SimLink(SimScheduler scheduler, Random random, long baseDelayMicros, long jitterMicros) {
    this.scheduler = scheduler;
    this.random = random;
    this.baseDelayMicros = baseDelayMicros;
    this.jitterMicros = jitterMicros;
  }

  void send(Runnable delivery) {
    long sentOn = epoch;
    long at = Math.max(lastDeliveryMicros, scheduler.nowMicros() + baseDelayMicros + random.nextLong(jitterMicros + 1));
    lastDeliveryMicros = at;
    scheduler.at(at, () -> {
      if (sentOn == epoch) delivery.run();
    });
  }

  void cut() {
    epoch++;
    lastDeliveryMicros = scheduler.nowMicros();
  }
}
