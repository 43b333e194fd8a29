package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import flashsale.store.EventExistsException;
import flashsale.store.EventNotFoundException;
import flashsale.store.StoreRefusedException;
import flashsale.store.RequestIdReusedException;
import flashsale.store.StoreRules;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.Range;
import io.lettuce.core.Limit;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ArbiterStore} on Redis 7+ (lettuce). Every write and every multi-key read is one call
 * of a function in {@code arbiter.lua}, which keeps it atomic and, since all keys of an event
 * share its hash tag, Redis Cluster ready. One connection serves all threads: lettuce pipelines
 * concurrent calls over it.
 *
 * <p>{@link #persistBatch} futures complete on a single store thread, in the order Redis
 * answered, never on a lettuce I/O thread, so a callback may call this store synchronously.
 */
public final class RedisArbiterStore implements ArbiterStore {
  private static final Logger log = LoggerFactory.getLogger(RedisArbiterStore.class);
  /** Keys and hash fields are text; values are bytes, so encoded decisions pass unchanged. */
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  private final RedisClient client;
  private final boolean ownsClient;
  private final StatefulRedisConnection<String, byte[]> connection;
  private final RedisAsyncCommands<String, byte[]> redis;
  private final ArbiterFunctions functions;
  private final ExecutorService callbacks = Executors.newSingleThreadExecutor(
      r -> Thread.ofPlatform().daemon().name("redis-store-callbacks").unstarted(r));

  /** Connects to {@code redis://host:port[/db]}; {@link #close()} shuts the client down. */
  public RedisArbiterStore(String redisUri) {
    this(RedisURI.create(redisUri));
  }

  /** Connects to {@code uri}; {@link #close()} shuts the client down. */
  public RedisArbiterStore(RedisURI uri) {
    this(ownedClient(), uri, true);
  }

  /** Connects through a client the caller owns: {@link #close()} closes only this store's connection. */
  public RedisArbiterStore(RedisClient client, RedisURI uri) {
    this(client, uri, false);
  }

  private RedisArbiterStore(RedisClient client, RedisURI uri, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    try {
      this.connection = client.connect(CODEC, uri);
      this.redis = connection.async();
      this.functions = new ArbiterFunctions(redis);
      functions.load();
    } catch (RuntimeException e) {
      releaseAll();
      throw e;
    }
    log.info("redis store connected host={} port={} db={}", uri.getHost(), uri.getPort(), uri.getDatabase());
  }

  private static RedisClient ownedClient() {
    RedisClient client = RedisClient.create();
    // Async calls time out too (after the URI's timeout), so no persist future waits forever.
    client.setOptions(RedisClients.withTls(ClientOptions.builder().timeoutOptions(TimeoutOptions.enabled())).build());
    return client;
  }

  @Override
  public EventSpec createEvent(String requestId, EventSpec spec) {
    StoreRules.requireStorable(spec);
    claimRequestId(requestId, spec.eventId());
    EventKeys keys = new EventKeys(spec.eventId());
    List<byte[]> args = new ArrayList<>(List.of(requestId.getBytes(UTF_8)));
    args.addAll(EventCodec.fields(spec));
    String[] keyNames = {keys.meta()};
    List<Object> stored;
    try {
      stored = read(spec.eventId(), functions.createEvent, keyNames, args.toArray(byte[][]::new));
    } catch (EventExistsException e) {
      // Created nothing: the request id stays free for the event it may yet create.
      await(spec.eventId(), redis.hdel(EventKeys.CREATE_REQUESTS, requestId));
      throw e;
    }
    // The indexes span events, so they cannot be in the function; a retried create repairs them.
    await(spec.eventId(), redis.sadd(EventKeys.EVENT_INDEX, spec.eventId().getBytes(UTF_8)));
    await(spec.eventId(), redis.sadd(EventKeys.LIVE_INDEX, spec.eventId().getBytes(UTF_8)));
    EventSpec storedSpec = EventCodec.spec(EventCodec.pairs(stored));
    log.info("event stored event={} stock={} request={}", storedSpec.eventId(), storedSpec.stock(), requestId);
    return StoreRules.sameRequestOrRefuse(requestId, storedSpec, spec);
  }

  /**
   * Binds the request id to the event id before the event is created, so a reused id cannot create
   * a second event; a crash between the two leaves a binding that a retry of the same request
   * completes.
   */
  private void claimRequestId(String requestId, String eventId) {
    if (await(eventId, redis.hsetnx(EventKeys.CREATE_REQUESTS, requestId, eventId.getBytes(UTF_8)))) return;
    byte[] bound = await(eventId, redis.hget(EventKeys.CREATE_REQUESTS, requestId));
    String created = bound == null ? eventId : new String(bound, UTF_8);
    if (!created.equals(eventId)) {
      throw new RequestIdReusedException(created, "request id " + requestId + " created event " + created
          + ", not " + eventId);
    }
  }

  @Override
  public Optional<EventSpec> findEvent(String eventId) {
    return spec(await(eventId, redis.hgetall(new EventKeys(eventId).meta())));
  }

  @Override
  public List<EventSpec> listLiveEvents() {
    List<EventSpec> live = new ArrayList<>();
    ScanArgs page = ScanArgs.Builder.limit(PAGE);
    ValueScanCursor<byte[]> cursor = await("*", redis.sscan(EventKeys.LIVE_INDEX, page));
    while (true) {
      List<CompletableFuture<Map<String, byte[]>>> metas = new ArrayList<>();
      for (byte[] id : cursor.getValues()) {
        metas.add(redis.hgetall(new EventKeys(new String(id, UTF_8)).meta()).toCompletableFuture());
      }
      metas.forEach(meta -> spec(await("*", meta)).ifPresent(live::add));
      if (cursor.isFinished()) return live;
      cursor = await("*", redis.sscan(EventKeys.LIVE_INDEX, cursor, page));
    }
  }

  @Override
  public void finishEvent(String eventId) {
    await(eventId, redis.srem(EventKeys.LIVE_INDEX, eventId.getBytes(UTF_8)));
    log.info("event finished event={}", eventId);
  }

  @Override
  public CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch) {
    EventKeys keys = new EventKeys(batch.eventId());
    String[] keyNames = {keys.meta(), keys.decisions(), keys.log(), keys.users(), keys.outbox()};
    CompletableFuture<List<Object>> written = functions.call(
        functions.persistBatch, ScriptOutputType.MULTI, keyNames, BatchArgs.of(batch, fencingEpoch));
    return written.handleAsync(
        (reply, failure) -> {
          if (failure != null) throw RedisErrors.translate(batch.eventId(), failure);
          String verdict = EventCodec.text(reply.get(0));
          if (verdict.equals("SAME")) {
            log.info("batch already applied event={} sequence={} firstRank={}",
                batch.eventId(), batch.sequence(), batch.firstRank());
          } else if (verdict.equals("REFUSED")) {
            throw refusal(batch.eventId(), reply);
          }
          return null;
        },
        callbacks);
  }

  @Override
  public void fenceEvent(String eventId, long fencingEpoch) {
    String[] keyNames = {new EventKeys(eventId).meta()};
    await(eventId, functions.call(functions.fenceEvent, ScriptOutputType.INTEGER, keyNames,
        eventId.getBytes(UTF_8), ascii(fencingEpoch)));
    log.info("event claimed event={} epoch={}", eventId, fencingEpoch);
  }

  @Override
  public EventHead loadHead(String eventId) {
    Map<String, byte[]> meta = await(eventId, redis.hgetall(new EventKeys(eventId).meta()));
    if (meta.isEmpty()) throw new EventNotFoundException("event " + eventId + " does not exist");
    return EventCodec.head(EventCodec.strings(meta));
  }

  /** {'REFUSED', n, (request id, stored decision) x n, m, (user, units held) x m}: see arbiter.lua. */
  private static StoreRefusedException refusal(String eventId, List<Object> reply) {
    int i = 1;
    int decidedCount = Integer.parseInt(EventCodec.text(reply.get(i++)));
    Map<String, Decision> decided = new HashMap<>();
    for (int n = 0; n < decidedCount; n++, i += 2) {
      decided.put(EventCodec.text(reply.get(i)), DecisionCodec.decode(eventId, (byte[]) reply.get(i + 1)));
    }
    int overCount = Integer.parseInt(EventCodec.text(reply.get(i++)));
    Map<String, Long> held = new HashMap<>();
    for (int n = 0; n < overCount; n++, i += 2) {
      held.put(EventCodec.text(reply.get(i)), Long.parseLong(EventCodec.text(reply.get(i + 1))));
    }
    return new StoreRefusedException(eventId, decided, held);
  }

  @Override
  public Optional<Decision> findDecision(String eventId, String requestId) {
    byte[] bytes = await(eventId, redis.hget(new EventKeys(eventId).decisions(), requestId));
    return Optional.ofNullable(bytes).map(b -> DecisionCodec.decode(eventId, b));
  }

  @Override
  public List<Decision> listDecisions(String eventId, long afterRank, int limit) {
    if (afterRank < 0) throw new IllegalArgumentException("afterRank < 0: " + afterRank);
    if (limit <= 0) return List.of();
    EventKeys keys = new EventKeys(eventId);
    // Rank r is at list index r - 1, so ranks afterRank+1 .. afterRank+limit are these indexes.
    byte[][] indexes = {ascii(afterRank), ascii(afterRank + limit - 1)};
    String[] keyNames = {keys.log(), keys.decisions()};
    return decode(eventId, read(eventId, functions.decisionsRange, keyNames, indexes));
  }

  @Override
  public List<Decision> readOutbox(String eventId) {
    EventKeys keys = new EventKeys(eventId);
    List<Decision> winners = new ArrayList<>();
    Range<String> rest = Range.unbounded();
    while (true) {
      List<StreamMessage<String, byte[]>> page = await(eventId, redis.xrange(keys.outbox(), rest, Limit.from(PAGE)));
      if (page.isEmpty()) return winners;
      String[] requestIds = page.stream().map(m -> new String(m.getBody().get("request_id"), UTF_8)).toArray(String[]::new);
      for (var value : await(eventId, redis.hmget(keys.decisions(), requestIds))) {
        winners.add(DecisionCodec.decode(eventId, value.getValueOrElse(null)));
      }
      if (page.size() < PAGE) return winners;
      rest = Range.from(Range.Boundary.excluding(page.get(page.size() - 1).getId()), Range.Boundary.unbounded());
    }
  }

  /** Closes the connection, then the client if this store created it, then the callback thread. */
  @Override
  public void close() {
    releaseAll();
    log.info("redis store closed");
  }

  private void releaseAll() {
    if (connection != null) connection.close();
    if (ownsClient) client.shutdown();
    callbacks.shutdown();
    try {
      if (!callbacks.awaitTermination(5, TimeUnit.SECONDS)) log.warn("store callbacks still running after close");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Optional<EventSpec> spec(Map<String, byte[]> meta) {
    return meta.isEmpty() ? Optional.empty() : Optional.of(EventCodec.spec(EventCodec.strings(meta)));
  }

  private static List<Decision> decode(String eventId, List<?> encoded) {
    List<Decision> decisions = new ArrayList<>(encoded.size());
    for (Object bytes : encoded) decisions.add(DecisionCodec.decode(eventId, (byte[]) bytes));
    return decisions;
  }

  /** Calls a function that answers an array, and waits for it. */
  private List<Object> read(String eventId, String function, String[] keys, byte[]... args) {
    return await(eventId, functions.call(function, ScriptOutputType.MULTI, keys, args));
  }

  private static byte[] ascii(long n) {
    return Long.toString(n).getBytes(UTF_8);
  }

  private static <T> T await(String eventId, CompletionStage<T> call) {
    try {
      return call.toCompletableFuture().join();
    } catch (RuntimeException e) {
      throw RedisErrors.translate(eventId, e);
    }
  }
}
