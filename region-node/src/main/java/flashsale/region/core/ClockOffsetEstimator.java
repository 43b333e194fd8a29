package flashsale.region.core;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Optional;

/**
 * Estimates this region's clock offset to the arbiter from NTP-style probes, and holds the
 * arbiter's verdict on it. The sample with the smallest round trip among the last few is the
 * estimate: queueing delay inflates the round trip and skews the offset, so the fastest probe is
 * the most trustworthy one.
 */
public final class ClockOffsetEstimator {

  /** One probe's result: region clock minus arbiter clock, and the network round trip. */
  public record ClockSample(long offsetMicros, long roundTripMicros) {}

  /** A sample and when (region clock) its probe came back, for the drift since then. */
  public record TimedSample(ClockSample sample, long receivedMicros) {}

  private final int windowSize;
  private final ArrayDeque<TimedSample> window = new ArrayDeque<>();
  private boolean flagged;
  private String verdictMessage = "";

  public ClockOffsetEstimator(int windowSize) {
    if (windowSize < 1) throw new IllegalArgumentException("windowSize < 1: " + windowSize);
    this.windowSize = windowSize;
  }

  /**
   * NTP arithmetic on one probe: {@code t1} region send, {@code t2} arbiter receive, {@code t3}
   * arbiter send, {@code t4} region receive (each on its own host's clock, microseconds).
   */
  public static ClockSample sample(long t1, long t2, long t3, long t4) {
    long offset = Math.floorDiv((t1 - t2) + (t4 - t3), 2);
    long roundTrip = (t4 - t1) - (t3 - t2);
    return new ClockSample(offset, roundTrip);
  }

  /**
   * Adds a probe and returns its sample. A negative round trip means a clock stepped during the
   * probe; such a sample says nothing about the offset and is not kept.
   */
  public ClockSample add(long t1, long t2, long t3, long t4) {
    ClockSample s = sample(t1, t2, t3, t4);
    if (s.roundTripMicros() < 0) return s;
    window.addLast(new TimedSample(s, t4));
    if (window.size() > windowSize) window.removeFirst();
    return s;
  }

  /** The minimum-round-trip sample of the last {@code windowSize}, if any probe came back. */
  public Optional<ClockSample> estimate() {
    return timedEstimate().map(TimedSample::sample);
  }

  /** As {@link #estimate()}, with the time its probe came back. */
  public Optional<TimedSample> timedEstimate() {
    return window.stream().min(Comparator.comparingLong(t -> t.sample().roundTripMicros()));
  }

  /** The arbiter's judgement; while flagged, the region takes no new purchases. */
  public void verdict(boolean flagged, String message) {
    this.flagged = flagged;
    this.verdictMessage = message == null ? "" : message;
  }

  public boolean flagged() {
    return flagged;
  }

  public String verdictMessage() {
    return verdictMessage;
  }
}
