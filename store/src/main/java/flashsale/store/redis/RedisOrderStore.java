package flashsale.store.redis;

import static flashsale.store.redis.RedisArbiterStore.ascii;
import static flashsale.store.redis.RedisArbiterStore.await;
import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.orders.OrderRecord;
import flashsale.orders.OrderSnapshot;
import flashsale.orders.OrderTerms;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderWrite;
import flashsale.orders.PurchaseState;
import flashsale.sale.EventSpec;
import flashsale.store.OrderStore;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The {@link OrderStore} on Redis, beside a {@link RedisArbiterStore}: its connection, its
 * function library ({@code persist_orders} and {@code put_order_terms} in {@code arbiter.lua}) and
 * its fencing writer, so a leader's claim covers both. Keys: {@link EventKeys#orders()}, {@link
 * EventKeys#orderMeta()}, {@link EventKeys#orderUsers()}, {@link EventKeys#waitlist()} and the
 * event's outbox stream, where each transition's entry carries a {@value #TRANSITION} field.
 */
public final class RedisOrderStore implements OrderStore {
  /** The outbox field that marks an entry after the win, naming its transition. */
  static final String TRANSITION = "transition";

  private final RedisArbiterStore events;
  private final RedisClusterAsyncCommands<String, byte[]> redis;

  public RedisOrderStore(RedisArbiterStore events) {
    this.events = events;
    this.redis = events.commands();
  }

  @Override
  public void putTerms(String eventId, OrderTerms terms) {
    EventKeys keys = new EventKeys(eventId);
    await(eventId, events.replicas().after(keys.orderMeta(), () -> events.functions().call(events.functions().putOrderTerms,
        ScriptOutputType.MULTI, new String[] {keys.orderMeta()}, ascii(terms.paymentWindowMicros()),
        ascii(terms.waitlistBound()))));
  }

  @Override
  public EventSpec createEventWithTerms(String requestId, EventSpec spec, OrderTerms terms) {
    return events.createEvent(requestId, spec, Optional.of(terms));
  }

  @Override
  public Optional<OrderTerms> findTerms(String eventId) {
    return events.vouched(eventId, () -> readTerms(eventId), Optional::isPresent);
  }

  private Optional<OrderTerms> readTerms(String eventId) {
    var fields = await(eventId, redis.hmget(new EventKeys(eventId).orderMeta(), "payment_window_micros", "waitlist_bound"));
    if (!fields.get(0).hasValue()) return Optional.empty();
    return Optional.of(new OrderTerms(number(fields.get(0).getValue()), number(fields.get(1).getValue())));
  }

  @Override
  public CompletableFuture<Void> persistOrders(OrderWrite write, long fencingEpoch) {
    EventKeys keys = new EventKeys(write.eventId());
    List<byte[]> args = new ArrayList<>();
    for (String a : List.of(write.eventId(), Long.toString(fencingEpoch), events.writer(), Long.toString(write.sequence()),
        Long.toString(write.enrolledThroughRank()), Long.toString(write.unsoldUnitsFreed()))) {
      args.add(a.getBytes(UTF_8));
    }
    for (OrderTransition t : write.transitions()) {
      for (String a : List.of(t.kind().name(), t.requestId(), t.userId(), Integer.toString(t.quantity()),
          Long.toString(t.rank()), Long.toString(t.deadlineMicros()), Long.toString(t.atMicros()))) {
        args.add(a.getBytes(UTF_8));
      }
    }
    String[] keyNames = {keys.meta(), keys.orders(), keys.orderMeta(), keys.orderUsers(), keys.waitlist(), keys.outbox()};
    CompletableFuture<List<Object>> written = events.replicas().after(keys.meta(), () -> events.functions().call(
        events.functions().persistOrders, ScriptOutputType.MULTI, keyNames, args.toArray(byte[][]::new)));
    return written.handleAsync((reply, failure) -> {
      if (failure != null) throw RedisErrors.translate(write.eventId(), failure);
      return null;
    }, events.callbacks());
  }

  @Override
  public OrderSnapshot loadOrders(String eventId) {
    return events.vouched(eventId, () -> readOrders(eventId), orders -> true);
  }

  private OrderSnapshot readOrders(String eventId) {
    EventKeys keys = new EventKeys(eventId);
    Map<String, byte[]> meta = await(eventId, redis.hgetall(keys.orderMeta()));
    Optional<OrderTerms> terms = readTerms(eventId);
    if (terms.isEmpty()) return OrderSnapshot.empty(terms);
    // Bounded by stock plus the waitlist bound (every purchase that ever entered the lifecycle),
    // which may be millions: read in pages, so no one reply stalls Redis (and with it the lease
    // renewals and every other event's writes) or outgrows a client buffer.
    Map<String, OrderRecord> byRequest = new java.util.LinkedHashMap<>();
    io.lettuce.core.ScanCursor cursor = io.lettuce.core.ScanCursor.INITIAL;
    do {
      io.lettuce.core.MapScanCursor<String, byte[]> page =
          await(eventId, redis.hscan(keys.orders(), cursor, io.lettuce.core.ScanArgs.Builder.limit(PAGE)));
      page.getMap().forEach((rid, text) -> byRequest.put(rid, record(rid, text))); // a scan may repeat a field
      cursor = page;
    } while (!cursor.isFinished());
    List<OrderRecord> orders = new ArrayList<>(byRequest.values());
    return new OrderSnapshot(terms, orders, number(meta.get("free")), number(meta.get("sequence")),
        number(meta.get("enrolled_rank")), number(meta.get("joined")), number(meta.get("win_units")),
        number(meta.get("unsold_freed")));
  }

  @Override
  public long storedWaitlistJoins(String eventId) {
    byte[] joined = events.vouched(eventId, () -> await(eventId, redis.hget(new EventKeys(eventId).orderMeta(), "joined")),
        java.util.Objects::nonNull);
    return joined == null ? 0 : Long.parseLong(new String(joined, java.nio.charset.StandardCharsets.US_ASCII));
  }

  @Override
  public long storedEnrolledThroughRank(String eventId) {
    byte[] rank = events.vouched(eventId,
        () -> await(eventId, redis.hget(new EventKeys(eventId).orderMeta(), "enrolled_rank")), java.util.Objects::nonNull);
    return rank == null ? 0 : Long.parseLong(new String(rank, java.nio.charset.StandardCharsets.US_ASCII));
  }

  @Override
  public Optional<OrderRecord> findOrder(String eventId, String requestId) {
    byte[] text = events.vouched(eventId, () -> await(eventId, redis.hget(new EventKeys(eventId).orders(), requestId)),
        java.util.Objects::nonNull);
    return Optional.ofNullable(text).map(t -> record(requestId, t));
  }

  @Override
  public List<OrderTransition> readTransitions(String eventId) {
    return events.vouched(eventId, () -> readTransitions(eventId, new EventKeys(eventId)),
        transitions -> !transitions.isEmpty());
  }

  private List<OrderTransition> readTransitions(String eventId, EventKeys keys) {
    List<OrderTransition> transitions = new ArrayList<>();
    Range<String> rest = Range.unbounded();
    while (true) {
      List<StreamMessage<String, byte[]>> page = await(eventId, redis.xrange(keys.outbox(), rest, Limit.from(PAGE)));
      for (StreamMessage<String, byte[]> m : page) {
        if (m.getBody().containsKey(TRANSITION)) transitions.add(transition(m.getBody()));
      }
      if (page.size() < PAGE) return transitions;
      rest = Range.from(Range.Boundary.excluding(page.get(page.size() - 1).getId()), Range.Boundary.unbounded());
    }
  }

  private static final int PAGE = flashsale.store.ArbiterStore.PAGE;

  /** An outbox entry after the win (see persist_orders in arbiter.lua). */
  static OrderTransition transition(Map<String, byte[]> body) {
    return new OrderTransition(OrderTransition.Kind.valueOf(text(body.get(TRANSITION))), text(body.get("request_id")),
        text(body.get("user_id")), (int) number(body.get("quantity")), number(body.get("rank")),
        number(body.get("deadline_micros")), number(body.get("at_micros")));
  }

  /** state, rank, quantity, deadline and user, newline separated (see order_text in arbiter.lua). */
  private static OrderRecord record(String requestId, byte[] text) {
    String[] p = text(text).split("\n", 5);
    if (p.length != 5) throw new IllegalStateException("order record of " + requestId + " is not 5 lines: " + text(text));
    return new OrderRecord(requestId, p[4], Integer.parseInt(p[2]), Long.parseLong(p[1]), PurchaseState.valueOf(p[0]),
        Long.parseLong(p[3]));
  }

  private static String text(byte[] bytes) {
    return new String(bytes, UTF_8);
  }

  private static long number(byte[] bytes) {
    return bytes == null ? 0 : Long.parseLong(text(bytes));
  }
}
