package flashsale.sale;

import java.nio.ByteBuffer;

/**
 * Units won per user, for the users who won most recently: at most {@code capacity} of them, the
 * least recently changed forgotten first, off the heap ({@link RecentBytes} says why). A forgotten
 * user reads as 0 units; whoever keeps this must have another source of truth for them (the
 * arbiter's store refuses a batch that would pass a user's limit). Single owner.
 */
public final class RecentUnits {
  /** A user id of up to ~20 chars and its 8-byte count. */
  static final int BUDGET_BYTES_PER_USER = 64;

  private final RecentBytes table;

  public RecentUnits(int capacity) {
    this.table = new RecentBytes(capacity, BUDGET_BYTES_PER_USER);
  }

  /** The units {@code user} is known to hold; 0 if none or forgotten. */
  public long get(String user) {
    return table.getLong(user, 0L); // on every flash-sale decision: read in place, nothing copied
  }

  /** {@code user} holds {@code units}; 0 forgets the user. */
  public void put(String user, long units) {
    if (units < 0) throw new IllegalArgumentException("units < 0 for " + user + ": " + units);
    if (units == 0) {
      table.remove(user);
    } else {
      table.put(user, ByteBuffer.allocate(Long.BYTES).putLong(0, units).array());
    }
  }

  /** How many users are remembered. */
  public int size() {
    return table.size();
  }
}
