package flashsale.sale;

import java.util.Optional;

/**
 * The newest decisions a node remembers, by request id, the oldest forgotten first: at most
 * {@code capacity} of them and {@value #BUDGET_BYTES_PER_DECISION} bytes each on average, off the
 * heap ({@link RecentBytes} says why). A region keeps them for retries (a forgotten one is asked
 * of the arbiter); the arbiter keeps each event's recent ones (a forgotten one is decided again
 * and the store answers with the stored decision). Single owner.
 */
public final class RecentDecisions {
  static final int BUDGET_BYTES_PER_DECISION = 256;

  private final RecentBytes table;
  /** Where each decision is encoded before its bytes are copied into the table. */
  private final DecisionBytes.Writer scratch = new DecisionBytes.Writer();

  public RecentDecisions(int capacity) {
    this.table = new RecentBytes(capacity, BUDGET_BYTES_PER_DECISION);
  }

  /** How many decisions are remembered. */
  public int size() {
    return table.size();
  }

  public Optional<Decision> get(String requestId) {
    return table.get(requestId).map(value -> DecisionBytes.decode(requestId, value, 0, value.length));
  }

  /** Remembers {@code decision} under {@code requestId}, in place of any earlier one; false if it is too large to keep. */
  public boolean put(String requestId, Decision decision) {
    return DecisionBytes.encode(decision, scratch) && table.put(requestId, scratch.bytes(), scratch.length());
  }

  /** Remembers {@code decision} unless {@code requestId} already has one. */
  public void putIfAbsent(String requestId, Decision decision) {
    if (table.contains(requestId)) return;
    put(requestId, decision);
  }
}
