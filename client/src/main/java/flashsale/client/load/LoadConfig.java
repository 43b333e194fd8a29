package flashsale.client.load;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One load run: which event, which regions, how many distinct users, how fast and in what pattern,
 * how many calls may be in flight, and an optional client-side delay per request. User {@code k}
 * lives in region {@code k mod regions}, and request {@code i} is sent by user {@code i mod users},
 * so with {@code users ≥ requests} every user sends exactly once (what the fairness metrics assume).
 *
 * @param ratePerSecond nominal requests per second
 * @param maxInFlight calls awaiting an answer at most; the schedule slips when it is reached
 * @param deadline per call; a purchase that outlives it is looked up with GetPurchase
 * @param seed for the POISSON schedule and a reservation's slots asked
 */
public record LoadConfig(
    String eventId,
    List<RegionTarget> regions,
    int users,
    double ratePerSecond,
    Duration duration,
    ArrivalPattern pattern,
    int maxInFlight,
    Duration deadline,
    long seed,
    ClientDelay clientDelay) {

  public static final int DEFAULT_MAX_IN_FLIGHT = 256;
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(30);

  public LoadConfig {
    Objects.requireNonNull(eventId, "eventId");
    Objects.requireNonNull(pattern, "pattern");
    Objects.requireNonNull(clientDelay, "clientDelay");
    regions = List.copyOf(regions);
    if (regions.isEmpty()) {
      throw new IllegalArgumentException("at least one region is needed");
    }
    if (regions.stream().map(RegionTarget::name).distinct().count() != regions.size()) {
      throw new IllegalArgumentException("region names must be distinct: " + regions);
    }
    if (users <= 0 || maxInFlight <= 0) {
      throw new IllegalArgumentException("users and max in flight must be positive");
    }
    if (!(ratePerSecond > 0) || duration.isNegative() || duration.isZero() || deadline.isZero()) {
      throw new IllegalArgumentException("rate, duration and deadline must be positive");
    }
  }

  /** A run with {@link #DEFAULT_MAX_IN_FLIGHT}, {@link #DEFAULT_DEADLINE}, seed 1, no delay. */
  public static LoadConfig of(
      String eventId,
      List<RegionTarget> regions,
      int users,
      double ratePerSecond,
      Duration duration,
      ArrivalPattern pattern) {
    return new LoadConfig(
        eventId, regions, users, ratePerSecond, duration, pattern,
        DEFAULT_MAX_IN_FLIGHT, DEFAULT_DEADLINE, 1L, ClientDelay.NONE);
  }

  public LoadConfig withMaxInFlight(int value) {
    return new LoadConfig(eventId, regions, users, ratePerSecond, duration, pattern, value, deadline, seed, clientDelay);
  }

  public LoadConfig withDeadline(Duration value) {
    return new LoadConfig(eventId, regions, users, ratePerSecond, duration, pattern, maxInFlight, value, seed, clientDelay);
  }

  public LoadConfig withSeed(long value) {
    return new LoadConfig(eventId, regions, users, ratePerSecond, duration, pattern, maxInFlight, deadline, value, clientDelay);
  }

  public LoadConfig withClientDelay(ClientDelay value) {
    return new LoadConfig(eventId, regions, users, ratePerSecond, duration, pattern, maxInFlight, deadline, seed, value);
  }

  /** The planned requests in due order; request ids start with {@code runId}. */
  public List<PlannedRequest> plan(String runId) {
    long[] offsets = ArrivalSchedule.offsetsMicros(pattern, ratePerSecond, duration.toNanos() / 1000, seed);
    PlannedRequest[] planned = new PlannedRequest[offsets.length];
    for (int i = 0; i < offsets.length; i++) {
      int user = i % users;
      planned[i] =
          new PlannedRequest(
              i,
              runId + "-" + i,
              String.format("user-%06d", user),
              regions.get(user % regions.size()).name(),
              offsets[i]);
    }
    return List.of(planned);
  }
}
