package flashsale.region.core;

import flashsale.limits.TokenBuckets;
import flashsale.sale.ErrorReason;
import java.util.Map;
import java.util.Optional;

/**
 * How much one buyer may ask of a region: new purchases per user id and per client address (token
 * buckets), and undecided purchases per user and event (checked by {@link RegionBook}). Retries of
 * a request id the region knows are never counted: a buyer who retries gets the decision.
 */
public final class BuyerLimits {
  /** ErrorInfo metadata key of how long to wait; the adapter also sends it as {@code RetryInfo}. */
  public static final String RETRY_DELAY_MS = "retry_delay_ms";

  /**
   * @param userPerSecond new purchases per second one user id may place; 0 turns the limit off
   * @param userBurst how many of them at once
   * @param addressPerSecond new purchases per second from one client address; 0 turns it off
   *     (behind a proxy every buyer has the proxy's address)
   * @param addressBurst how many of them at once
   * @param maxPendingPerUser most undecided purchases one user may hold in one event
   * @param maxTrackedKeys most user ids (and, apart, addresses) whose buckets are kept
   */
  public record Settings(double userPerSecond, int userBurst, double addressPerSecond, int addressBurst,
      int maxPendingPerUser, long maxTrackedKeys) {
    public static final Settings OFF = new Settings(0, 1, 0, 1, Integer.MAX_VALUE, 1);

    public Settings {
      // NaN passes "< 0" and would turn a limit off unsaid; an infinite rate limits nothing either.
      if (!(userPerSecond >= 0 && Double.isFinite(userPerSecond)) || !(addressPerSecond >= 0 && Double.isFinite(addressPerSecond))) {
        throw new IllegalArgumentException("rates must be 0 (off) or a positive number, got " + userPerSecond + " and "
            + addressPerSecond);
      }
      if (userBurst < 1 || addressBurst < 1) throw new IllegalArgumentException("bursts must be at least 1");
      if (maxPendingPerUser < 1) throw new IllegalArgumentException("max pending per user must be at least 1");
      if (maxTrackedKeys < 1) throw new IllegalArgumentException("max tracked keys must be at least 1");
    }

    /** Production defaults: 20 purchases/s per user (burst 40), 20 pending per user and event, addresses unlimited. */
    public static Settings defaults() {
      return new Settings(20, 40, 0, 1, 20, 1_000_000);
    }
  }

  private final Settings settings;
  private final TokenBuckets users; // null when off
  private final TokenBuckets addresses; // null when off

  public BuyerLimits(Settings settings) {
    this.settings = settings;
    this.users = settings.userPerSecond() > 0
        ? new TokenBuckets(settings.userPerSecond(), settings.userBurst(), settings.maxTrackedKeys()) : null;
    this.addresses = settings.addressPerSecond() > 0
        ? new TokenBuckets(settings.addressPerSecond(), settings.addressBurst(), settings.maxTrackedKeys()) : null;
  }

  public int maxPendingPerUser() {
    return settings.maxPendingPerUser();
  }

  /** Admits one new purchase of {@code userId} from {@code address}, or says how long to wait. */
  public Optional<Failure> admit(String userId, String address, long nowMicros) {
    if (users != null) {
      long waitMicros = users.take(userId, nowMicros);
      if (waitMicros > 0) return Optional.of(limited("user " + userId, settings.userPerSecond(), waitMicros, "user_id"));
    }
    Optional<Failure> byAddress = admitLookup(address, nowMicros);
    // Refused for its address, the purchase is not counted against its user: a buyer behind a
    // busy address would otherwise find its own bucket empty once the address frees up.
    if (byAddress.isPresent() && users != null) users.giveBack(userId);
    return byAddress;
  }

  /** Admits one look-up (GetEvent) from {@code address}: it counts against the address's purchases too. */
  public Optional<Failure> admitLookup(String address, long nowMicros) {
    if (addresses == null) return Optional.empty();
    long waitMicros = addresses.take(address, nowMicros);
    return waitMicros == 0 ? Optional.empty()
        : Optional.of(limited("client address " + address, settings.addressPerSecond(), waitMicros, "client_address"));
  }

  /** Returns the token {@link #admitLookup} took from {@code address} (nothing when addresses are not limited). */
  public void giveBackLookup(String address) {
    if (addresses != null) addresses.giveBack(address);
  }

  private static Failure limited(String who, double perSecond, long waitMicros, String limit) {
    long waitMs = Math.max(1, (waitMicros + 999) / 1000);
    return new Failure(ErrorReason.RATE_LIMITED, who + " is over " + perSecond + " new purchases per second; retry in "
        + waitMs + " ms (a retry of an already decided request_id is answered)", Map.of(RETRY_DELAY_MS, Long.toString(waitMs),
        "limit", limit));
  }
}
