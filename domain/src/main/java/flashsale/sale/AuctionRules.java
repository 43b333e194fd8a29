package flashsale.sale;

import java.util.Objects;

/**
 * An auction's rules. Amounts are integer minor units of {@code currencyCode}; the best {@code
 * units} bids stamped before the close win one unit each.
 *
 * @param minIncrementMinor a bid must beat the current {@code units}-th best by at least this
 * @param softCloseWindowMicros a bid accepted with a stamp this close to the current close moves
 *     the close later by this much; 0 for a hard close
 * @param softCloseCapMicros the close never moves past the event's end plus this
 */
public record AuctionRules(
    int units, long reservePriceMinor, long minIncrementMinor, String currencyCode, long softCloseWindowMicros,
    long softCloseCapMicros) {

  /**
   * The most any amount (a bid, the reserve, the increment) may be, in minor units: 10^15, ten
   * trillion in a currency of cents. Bounded so an amount plus the increment never overflows: one
   * bid of Long.MAX_VALUE once made every later bid's amount to beat negative.
   */
  public static final long MAX_AMOUNT_MINOR = 1_000_000_000_000_000L;

  /**
   * The most units an auction may be created with. Every standing bid (at most one per unit) goes
   * whole into each batch's stored standing, each AuctionUpdate to every region and each GetEvent
   * and WatchAuction reply. A bid is at most 290 bytes there ({@code WinningBid}: a 128-character
   * request id, 64-character user and region ids, an amount up to {@link #MAX_AMOUNT_MINOR}, a
   * timestamp, and its framing), so 10,000 bids are at most about 2.9 MB: well under gRPC's default
   * 4 MiB inbound message limit that SDK clients keep (and the region link's 16 MiB). Checked at
   * CreateEvent only: an auction stored before the bound still loads, and regions still take it.
   */
  public static final int MAX_UNITS = 10_000;

  public AuctionRules {
    Objects.requireNonNull(currencyCode, "currencyCode");
    if (reservePriceMinor > MAX_AMOUNT_MINOR || minIncrementMinor > MAX_AMOUNT_MINOR) {
      throw new IllegalArgumentException("reserve " + reservePriceMinor + " or increment " + minIncrementMinor
          + " above " + MAX_AMOUNT_MINOR + " minor units");
    }
    if (units < 1) throw new IllegalArgumentException("units < 1: " + units);
    if (reservePriceMinor < 1) throw new IllegalArgumentException("reserve price < 1: " + reservePriceMinor);
    if (minIncrementMinor < 1) throw new IllegalArgumentException("minimum increment < 1: " + minIncrementMinor);
    if (!currencyCode.matches("[A-Z]{3}")) throw new IllegalArgumentException("currency not ISO 4217: " + currencyCode);
    if (softCloseWindowMicros < 0 || softCloseCapMicros < 0) {
      throw new IllegalArgumentException("soft close window " + softCloseWindowMicros + " / cap " + softCloseCapMicros + " < 0");
    }
    if (softCloseWindowMicros == 0 && softCloseCapMicros != 0) {
      throw new IllegalArgumentException("a soft-close cap without a window: " + softCloseCapMicros);
    }
  }

  /** An auction that closes at the event's end exactly. */
  public static AuctionRules hardClose(int units, long reservePriceMinor, long minIncrementMinor, String currencyCode) {
    return new AuctionRules(units, reservePriceMinor, minIncrementMinor, currencyCode, 0, 0);
  }
}
