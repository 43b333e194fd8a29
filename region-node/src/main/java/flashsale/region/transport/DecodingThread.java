package flashsale.region.transport;

import io.grpc.netty.shaded.io.netty.util.concurrent.FastThreadLocal;
import java.util.Optional;
import java.util.concurrent.Executor;

/**
 * The decoding thread a call's handler runs on, to hand the call's answer back to: writing an
 * answer (its message, its status and trailers) on the thread that runs the call keeps that work
 * off the region loop. Set by {@link StampedReads} on each decoding thread; calls that came another
 * way (the in-process transport of tests) have none.
 */
public final class DecodingThread {
  private static final FastThreadLocal<Executor> CURRENT = new FastThreadLocal<>();

  private DecodingThread() {}

  static void enter(Executor decodingLoop) {
    if (CURRENT.get() == null) CURRENT.set(decodingLoop); // one event loop per thread, for the thread's life
  }

  /** True when this code runs on {@code decodingLoop}. */
  public static boolean runsOn(Executor decodingLoop) {
    return CURRENT.get() == decodingLoop;
  }

  /** The decoding thread this code runs on as a scheduler (its event loop), or empty when it runs elsewhere. */
  public static Optional<java.util.concurrent.ScheduledExecutorService> currentScheduler() {
    return current().filter(java.util.concurrent.ScheduledExecutorService.class::isInstance)
        .map(java.util.concurrent.ScheduledExecutorService.class::cast);
  }

  /** The decoding thread this code runs on, or empty when it runs elsewhere. */
  public static Optional<Executor> current() {
    return Optional.ofNullable(CURRENT.get());
  }
}
