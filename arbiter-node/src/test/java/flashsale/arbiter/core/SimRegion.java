package flashsale.arbiter.core;

import flashsale.sale.Decision;
import flashsale.sale.Ticket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A well-behaved simulated region node: stamps purchases with a strictly increasing clock that
 * never reaches back below what it already promised, keeps them pending until decided, sends
 * heartbeats, and after every reconnect resends all its undecided tickets in stamp order.
 */
final class SimRegion {

  /** What the region's stream delivers to the arbiter. */
  interface Arbiter {
    void connected(SimRegion region);

    void tickets(SimRegion region, List<Ticket> tickets);

    void watermark(SimRegion region, long watermarkMicros);

    void clock(SimRegion region, long offsetMicros, long roundTripMicros);
  }

  final String name;
  final SimLink uplink;
  final SimLink downlink;
  private final SimScheduler scheduler;
  private final Arbiter arbiter;
  private final long clockOffsetMicros;
  private long reportedOffsetMicros;
  private long promisedMicros = Long.MIN_VALUE;
  private boolean online;
  private final Map<String, Ticket> undecided = new LinkedHashMap<>();
  private final Map<String, Decision> decided = new HashMap<>();
  private final Set<String> sent = new HashSet<>();
  private final Set<String> rejected = new HashSet<>();

  SimRegion(String name, SimScheduler scheduler, SimLink uplink, SimLink downlink, Arbiter arbiter, long clockOffsetMicros) {
    this.name = name;
    this.scheduler = scheduler;
    this.uplink = uplink;
    this.downlink = downlink;
    this.arbiter = arbiter;
    this.clockOffsetMicros = clockOffsetMicros;
    this.reportedOffsetMicros = clockOffsetMicros;
  }

  private static String key(String eventId, String requestId) {
    return eventId + "/" + requestId;
  }

  private long clockMicros() {
    return scheduler.nowMicros() + clockOffsetMicros;
  }

  /** A user's purchase arrives here: stamped, kept pending, streamed when online. */
  Ticket purchase(String eventId, String requestId, String userId, int quantity) {
    String key = key(eventId, requestId);
    Ticket pending = undecided.get(key);
    // As the region core does: a retry of a purchase still pending here joins it; no second ticket.
    if (pending != null && pending.userId().equals(userId) && pending.quantity() == quantity) return pending;
    promisedMicros = Math.max(clockMicros(), promisedMicros + 1);
    Ticket ticket = new Ticket(eventId, requestId, userId, quantity, name, promisedMicros);
    if (sent.add(key)) undecided.put(key, ticket);
    if (online) uplink.send(() -> arbiter.tickets(this, List.of(ticket)));
    return ticket;
  }

  void heartbeat() {
    if (!online) return;
    promisedMicros = Math.max(clockMicros(), promisedMicros);
    long watermark = promisedMicros;
    uplink.send(() -> arbiter.watermark(this, watermark));
  }

  /** Opens a new stream: hello, clock report, then every undecided ticket in stamp order. */
  void connect() {
    online = true;
    uplink.send(() -> arbiter.connected(this));
    reportClock();
    List<Ticket> resend = new ArrayList<>(undecided.values());
    if (!resend.isEmpty()) uplink.send(() -> arbiter.tickets(this, resend));
  }

  /** The stream breaks: whatever is in flight either way is lost. */
  void dropStream() {
    online = false;
    uplink.cut();
    downlink.cut();
  }

  boolean online() {
    return online;
  }

  void reportOffset(long offsetMicros) {
    reportedOffsetMicros = offsetMicros;
    if (online) reportClock();
  }

  private void reportClock() {
    long offset = reportedOffsetMicros;
    uplink.send(() -> arbiter.clock(this, offset, 200));
  }

  void told(Decision decision) {
    String key = key(decision.eventId(), decision.requestId());
    if (!sent.contains(key)) throw new AssertionError(name + " told about " + key + " it never sent");
    if (rejected.contains(key)) throw new AssertionError(name + " told about " + key + " after its rejection");
    Decision earlier = decided.putIfAbsent(key, decision);
    if (earlier != null && !earlier.equals(decision)) {
      throw new AssertionError(name + " told two decisions for " + key + ": " + earlier + " and " + decision);
    }
    undecided.remove(key);
  }

  void rejected(Ticket ticket) {
    String key = key(ticket.eventId(), ticket.requestId());
    if (decided.containsKey(key)) throw new AssertionError(name + " had " + key + " rejected after its decision");
    rejected.add(key);
    undecided.remove(key);
  }

  boolean hasUndecided() {
    return !undecided.isEmpty();
  }

  int decidedCount() {
    return decided.size();
  }

  @Override
  public String toString() {
    return name + (online ? "" : "(offline)") + " undecided=" + undecided.keySet();
  }
}
