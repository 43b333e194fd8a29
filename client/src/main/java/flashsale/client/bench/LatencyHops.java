package flashsale.client.bench;

import flashsale.sale.Micros;
import flashsale.v1.PurchaseDecision;
import flashsale.wire.Times;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Where a slow call's time went: for each decided call, the client's send and answer (wall clock)
 * around the region's stamp and the arbiter's decide time. On one machine the clocks agree to
 * well under a millisecond, so the three hops of a tail call say which side held it: client to
 * stamp (client, socket, region read), stamp to decide (region loop, link, arbiter, store), decide
 * to answer (arbiter to region, region reply, client).
 */
final class LatencyHops {
  /** One decided call, UTC epoch microseconds. */
  record Call(long sendMicros, long stampMicros, long decideMicros, long answerMicros) {
    long totalMicros() {
      return answerMicros - sendMicros;
    }
  }

  private final ConcurrentLinkedQueue<Call> calls = new ConcurrentLinkedQueue<>();
  private volatile boolean recording;

  static long wallMicros() {
    return Micros.of(Instant.now());
  }

  /** Starts (or restarts) the measured window: calls recorded before are dropped. */
  void start() {
    calls.clear();
    recording = true;
  }

  void record(long sendMicros, PurchaseDecision decision) {
    record(sendMicros, decision, wallMicros());
  }

  void record(long sendMicros, PurchaseDecision decision, long answerMicros) {
    if (!recording || !decision.hasArrivalTime() || !decision.hasDecideTime()) return;
    calls.add(new Call(sendMicros, Times.micros(decision.getArrivalTime()), Times.micros(decision.getDecideTime()),
        answerMicros));
  }

  /**
   * Prints, for the calls at or above {@code percentile} of total latency, the median of each hop
   * next to the same for all calls, and when in the window the slowest ones were sent: stalls that
   * recur show as a period.
   */
  void report(String label, double percentile, int slowestListed, PrintStream out) {
    List<Call> all = new ArrayList<>(calls);
    if (all.isEmpty()) {
      out.printf("hops %s: no decided call carried its stamps%n", label);
      return;
    }
    all.sort(Comparator.comparingLong(Call::totalMicros));
    int from = (int) Math.min(all.size() - 1, Math.floor(all.size() * percentile / 100.0));
    List<Call> tail = all.subList(from, all.size());
    out.printf(Locale.ROOT, "hops %s, median ms (all %,d calls | the %,d at or above p%.0f): send->stamp %.1f | %.1f,"
        + " stamp->decide %.1f | %.1f, decide->answer %.1f | %.1f%n", label, all.size(), tail.size(), percentile,
        median(all, 0), median(tail, 0), median(all, 1), median(tail, 1), median(all, 2), median(tail, 2));
    long firstSend = all.stream().mapToLong(Call::sendMicros).min().orElseThrow();
    List<Call> slowest = new ArrayList<>(all.subList(Math.max(0, all.size() - slowestListed), all.size()));
    slowest.sort(Comparator.comparingLong(Call::sendMicros));
    StringBuilder when = new StringBuilder();
    for (Call c : slowest) {
      when.append(String.format(Locale.ROOT, " %d(%.0f/%.0f/%.0f)", (c.sendMicros() - firstSend) / 1000,
          hop(c, 0) / 1e3, hop(c, 1) / 1e3, hop(c, 2) / 1e3));
    }
    out.printf("hops %s, the %d slowest by send time, ms after %s (send->stamp/stamp->decide/decide->answer ms):%s%n",
        label, slowest.size(), Instant.ofEpochSecond(0, firstSend * 1000), when);
  }

  /** The median of each hop over {@code calls}, in ms: send->stamp, stamp->decide, decide->answer. */
  static double[] medianHopsMillis(List<Call> calls) {
    return new double[] {median(calls, 0), median(calls, 1), median(calls, 2)};
  }

  private static long hop(Call c, int which) {
    return switch (which) {
      case 0 -> c.stampMicros() - c.sendMicros();
      case 1 -> c.decideMicros() - c.stampMicros();
      default -> c.answerMicros() - c.decideMicros();
    };
  }

  private static double median(List<Call> calls, int which) {
    long[] v = calls.stream().mapToLong(c -> hop(c, which)).toArray();
    Arrays.sort(v);
    return v[v.length / 2] / 1e3;
  }
}
