package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.orders.OrderTerms;
import flashsale.sale.AuctionClose;
import flashsale.sale.AuctionStanding;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.sale.Partition;
import flashsale.store.ArbiterStore;
import flashsale.store.RegionNodeRecord;
import flashsale.store.EventExistsException;
import flashsale.store.EventNotFoundException;
import flashsale.store.StoreRefusedException;
import flashsale.store.StoreRejectedException;
import flashsale.store.ReplicaAcks;
import flashsale.store.StoreNotReplicatedException;
import flashsale.store.RequestIdReusedException;
import flashsale.store.StoreRules;
import flashsale.store.modes.PoolKeyNames;
import io.lettuce.core.Range;
import io.lettuce.core.Limit;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link ArbiterStore} on Redis 7+ or a Redis/Valkey Cluster (lettuce). Every write and every
 * multi-key read is one call of a function in {@code arbiter.lua}, which keeps it atomic; all keys
 * of an event share its hash tag, and its index entries sit in the same slot ({@link EventKeys}),
 * so each call runs on the one master of that slot. One connection serves all threads: lettuce
 * pipelines concurrent calls over it (per master on a cluster).
 *
 * <p>{@link #persistBatch} futures complete on a single store thread, never on a lettuce I/O
 * thread, so a callback may call this store synchronously; with replica acknowledgements a
 * write's future also waits for its replicas, so one refused at once may complete before an
 * earlier success (the sequencer keeps one batch per event in flight).
 *
 * <p>Each store is one writer for fencing: an event it claimed under epoch e refuses epoch e from
 * any other store (epochs can repeat after a failover of the master holding their counter).
 */
public final class RedisArbiterStore implements ArbiterStore {
  private static final Logger log = LoggerFactory.getLogger(RedisArbiterStore.class);
  /** Keys and hash fields are text; values are bytes, so encoded decisions pass unchanged. */
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  private final RedisConnection<byte[]> connection;
  private final RedisClusterAsyncCommands<String, byte[]> redis;
  private final ArbiterFunctions functions;
  private final String writer = UUID.randomUUID().toString();
  private final ReplicaWait<byte[]> replicas;
  /** How long a finished event's keys stay; zero: for good. */
  private final Duration finishedEventRetention;
  private final ExecutorService callbacks = Executors.newSingleThreadExecutor(
      r -> Thread.ofPlatform().daemon().name("redis-store-callbacks").unstarted(r));

  /**
   * Connects to {@code redis://host:port[/db]} (or {@code rediss://}), or to a cluster through its
   * seeds, {@code redis-cluster://host1:port1,host2:port2} (see {@link RedisTarget}), and loads the
   * function library on every master. Async calls time out after the URI's timeout, so no persist
   * future waits forever. {@link #close()} shuts the client down.
   */
  public RedisArbiterStore(String redisUri) {
    this(redisUri, ReplicaAcks.NONE);
  }

  /**
   * As {@link #RedisArbiterStore(String)}; every write whose result is told (decisions, auction
   * results, events, order changes, region nodes) completes only once {@code acks} replicas hold it.
   */
  public RedisArbiterStore(String redisUri, ReplicaAcks acks) {
    this(redisUri, acks, Duration.ZERO);
  }

  /**
   * As {@link #RedisArbiterStore(String, ReplicaAcks)}; a finished event's keys (its decisions,
   * log, orders, waitlist, outbox, and its CENTRAL or SHARDED pools where they are on this Redis)
   * expire {@code finishedEventRetention} after it finished. Zero keeps them for good.
   */
  public RedisArbiterStore(String redisUri, ReplicaAcks acks, Duration finishedEventRetention) {
    if (finishedEventRetention.isNegative()) {
      throw new IllegalArgumentException("a finished event's retention cannot be negative, got " + finishedEventRetention);
    }
    this.finishedEventRetention = finishedEventRetention;
    // Its replica waits must outlast no command: the URI's timeout, raised to two waits if below.
    this.connection = RedisConnection.open(redisUri, CODEC,
        RedisConnection.commandTimeout(RedisTarget.parse(redisUri), acks, null), false, acks.waits());
    this.replicas = new ReplicaWait<>(connection, acks, writer.getBytes(UTF_8));
    try {
      this.redis = connection.async();
      this.functions = new ArbiterFunctions(connection);
      functions.load();
    } catch (RuntimeException e) {
      releaseAll();
      throw e;
    }
    log.info("redis store connected target={} writer={} replicaAcks={} replicaWaitMs={} commandTimeoutMs={}",
        connection.target().describe(), writer, acks.replicas(), acks.timeout().toMillis(),
        connection.commandTimeout().toMillis());
    String shortfall = replicas.replicaShortfall();
    if (shortfall != null) log.warn("{}", shortfall);
    if (!finishedEventRetention.isZero() && freesExpiredKeysInline()) {
      log.warn("redis lazyfree-lazy-expire=no target={}: when a finished event's retention ends, its keys (a decision"
          + " per purchase: millions for a big sale) are freed on Redis's main thread, and every command waits behind"
          + " it, lease renewals too; set lazyfree-lazy-expire yes (deploy/ does)", connection.target().describe());
    }
  }

  /**
   * True when Redis says it frees expired keys on its main thread ({@code lazyfree-lazy-expire no},
   * Redis 7's default); false when it frees them in the background, or will not say (CONFIG
   * disabled, as on some managed services).
   */
  public boolean freesExpiredKeysInline() {
    try {
      var answer = redis.configGet("lazyfree-lazy-expire").get(connection.commandTimeout().toMillis(), TimeUnit.MILLISECONDS);
      return "no".equalsIgnoreCase(answer.get("lazyfree-lazy-expire"));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | RuntimeException e) {
      log.debug("redis CONFIG GET lazyfree-lazy-expire not answered: {}", e.toString());
      return false;
    }
  }

  @Override
  public EventSpec createEvent(String requestId, EventSpec spec) {
    return createEvent(requestId, spec, Optional.empty());
  }

  /** The event, and its order terms if any, in one call: see {@link RedisOrderStore#createEventWithTerms}. */
  EventSpec createEvent(String requestId, EventSpec spec, Optional<OrderTerms> terms) {
    StoreRules.requireStorable(spec);
    EventKeys keys = new EventKeys(spec.eventId());
    ReplicaWait.Mark bindingMark = replicas.mark(EventKeys.CREATE_REQUESTS); // on another master in a cluster
    ReplicaWait.Mark metaMark = replicas.mark(keys.meta());
    boolean boundNow = claimRequestId(requestId, spec.eventId());
    List<byte[]> args = new ArrayList<>(List.of(requestId.getBytes(UTF_8)));
    args.addAll(EventCodec.fields(spec));
    terms.ifPresent(t -> {
      args.add(ascii(t.paymentWindowMicros()));
      args.add(ascii(t.waitlistBound()));
    });
    String[] keyNames = terms.isEmpty() ? new String[] {keys.meta(), keys.liveIndex(), keys.eventIndex()}
        : new String[] {keys.meta(), keys.liveIndex(), keys.eventIndex(), keys.orderMeta()};
    List<Object> stored;
    try {
      stored = read(spec.eventId(), terms.isEmpty() ? functions.createEvent : functions.createEventWithTerms, keyNames,
          args.toArray(byte[][]::new));
    } catch (EventExistsException e) {
      // Created nothing: the binding is freed for the event the request may yet create, unless
      // the event is one this request created whose records expired (then it was the creator's).
      if (boundNow || !e.expired()) await(spec.eventId(), redis.hdel(EventKeys.CREATE_REQUESTS, requestId));
      throw e;
    } catch (StoreRejectedException e) {
      // Other terms. A first attempt created nothing: its request id is freed. A retry keeps its
      // binding, and another spec is refused as such first, as the in-memory store does.
      Optional<EventSpec> existing = findEvent(spec.eventId());
      if (existing.isEmpty()) await(spec.eventId(), redis.hdel(EventKeys.CREATE_REQUESTS, requestId));
      else StoreRules.sameRequestOrRefuse(requestId, existing.get(), spec);
      throw e;
    }
    await(spec.eventId(), replicas.replicated(metaMark));
    await(spec.eventId(), replicas.replicated(bindingMark));
    EventSpec storedSpec = EventCodec.spec(EventCodec.pairs(stored));
    log.info("event stored event={} stock={} request={}", storedSpec.eventId(), storedSpec.stock(), requestId);
    return StoreRules.sameRequestOrRefuse(requestId, storedSpec, spec);
  }

  /**
   * Binds the request id to the event id before the event is created, so a reused id cannot create
   * a second event; a crash between the two leaves a binding that a retry of the same request
   * completes. True when this call made the binding, false when it was there already.
   */
  private boolean claimRequestId(String requestId, String eventId) {
    if (await(eventId, redis.hsetnx(EventKeys.CREATE_REQUESTS, requestId, eventId.getBytes(UTF_8)))) return true;
    // The binding found decides the answer, so it is told only once the replicas hold it.
    byte[] bound = vouched(eventId, EventKeys.CREATE_REQUESTS,
        () -> await(eventId, redis.hget(EventKeys.CREATE_REQUESTS, requestId)), Objects::nonNull);
    String created = bound == null ? eventId : new String(bound, UTF_8);
    if (!created.equals(eventId)) {
      throw new RequestIdReusedException(created, "request id " + requestId + " created event " + created
          + ", not " + eventId);
    }
    return false;
  }

  @Override
  public Optional<EventSpec> findEvent(String eventId) {
    String meta = new EventKeys(eventId).meta();
    return vouched(eventId, meta, () -> spec(await(eventId, redis.hgetall(meta))), Optional::isPresent);
  }

  @Override
  public boolean poolsOpened(String eventId) {
    String key = new EventKeys(eventId).poolsOpened();
    return vouched(eventId, key, () -> await(eventId, redis.exists(key)) == 1, opened -> opened);
  }

  /** A key of its own beside the meta hash (same slot), which it never changes. */
  @Override
  public void markPoolsOpened(String eventId) {
    String key = new EventKeys(eventId).poolsOpened();
    ReplicaWait.Mark mark = replicas.mark(key);
    await(eventId, redis.set(key, "1".getBytes(UTF_8)));
    await(eventId, replicas.replicated(mark));
  }

  /**
   * What {@code read} returns, once the replicas hold what it was read from when it {@code found}
   * anything: a write whose wait failed stays on the primary, and a read must not tell it either.
   * The mark is taken before the read, on the primary of {@code routingKey}'s slot.
   */
  <T> T vouched(String eventId, String routingKey, Supplier<T> read, Predicate<T> found) {
    ReplicaWait.Mark mark = replicas.mark(routingKey);
    T value = read.get();
    if (found.test(value)) await(eventId, replicas.replicated(mark));
    return value;
  }

  /** As {@link #vouched(String, String, Supplier, Predicate)}, for a read of the event's own keys. */
  <T> T vouched(String eventId, Supplier<T> read, Predicate<T> found) {
    return vouched(eventId, new EventKeys(eventId).meta(), read, found);
  }

  @Override
  public List<EventSpec> listLiveEvents(Predicate<String> eventIds) {
    List<EventSpec> live = new ArrayList<>();
    List<CompletableFuture<Map<String, byte[]>>> metas = new ArrayList<>();
    for (String id : new LiveIndex(connection, functions).ids()) {
      if (!eventIds.test(id)) continue; // another partition's: its spec is not read
      metas.add(redis.hgetall(new EventKeys(id).meta()).toCompletableFuture());
      if (metas.size() == PAGE) drainInto(metas, live);
    }
    drainInto(metas, live);
    return live;
  }

  private static void drainInto(List<CompletableFuture<Map<String, byte[]>>> metas, List<EventSpec> live) {
    metas.forEach(meta -> spec(await("*", meta)).ifPresent(live::add));
    metas.clear();
  }

  @Override
  public long takeEventCreation(String identity, double perSecond, int burst) {
    if (!(perSecond > 0) || burst < 1) throw new IllegalArgumentException("a quota needs a rate and a burst of 1 or more");
    // The identity is hashed into the key: any characters, one slot per identity in a cluster.
    String key = "fs:admin-quota:{" + java.util.HexFormat.of().formatHex(sha256(identity)) + "}";
    // A full bucket's refill and a minute, at most 30 days (a rate of almost nothing would overflow).
    long idleMs = (long) Math.min(Math.ceil(burst / perSecond * 1000) + 60_000, 30L * 24 * 3600 * 1000);
    // No replica wait: a quota lost with a primary only forgives a few creations.
    Long waitMicros = await("admin quota", functions.<Long>call(functions.takeToken, ScriptOutputType.INTEGER,
        new String[] {key}, Double.toString(perSecond).getBytes(UTF_8), Integer.toString(burst).getBytes(UTF_8),
        Long.toString(idleMs).getBytes(UTF_8)));
    return waitMicros;
  }

  private static byte[] sha256(String text) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(text.getBytes(UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** How long one of its commands may take before it fails here (the URI's, raised to two replica waits). */
  public Duration commandTimeout() {
    return connection.commandTimeout();
  }

  @Override
  public boolean isLive(String eventId) {
    EventKeys keys = new EventKeys(eventId);
    byte[] id = eventId.getBytes(UTF_8);
    return await(eventId, redis.sismember(keys.liveIndex(), id)) || await(eventId, redis.sismember(EventKeys.LEGACY_LIVE_INDEX, id));
  }

  @Override
  public void finishEvent(String eventId) {
    EventKeys keys = new EventKeys(eventId);
    byte[] id = eventId.getBytes(UTF_8);
    // Before it leaves the live index: if this fails, it stays live and the next leader finishes
    // it again. Every key of a finished event would otherwise stay for good, decisions of every
    // loser included, and a Redis under noeviction would refuse all writes once full.
    if (!finishedEventRetention.isZero()) {
      List<String> names = new ArrayList<>(keys.all());
      spec(await(eventId, redis.hgetall(keys.meta()))).ifPresent(spec -> names.addAll(PoolKeyNames.of(spec)));
      long retentionMs = finishedEventRetention.toMillis();
      List<CompletableFuture<Boolean>> expiring = new ArrayList<>();
      // NX: a finish repeated (a leader died between the expiry and the index) keeps the first expiry.
      var firstOnly = io.lettuce.core.ExpireArgs.Builder.nx();
      for (String name : names) expiring.add(redis.pexpire(name, retentionMs, firstOnly).toCompletableFuture());
      expiring.forEach(set -> await(eventId, set));
    }
    await(eventId, redis.srem(keys.liveIndex(), id));
    await(eventId, redis.srem(EventKeys.LEGACY_LIVE_INDEX, id));
    log.info("event finished event={} retention={}", eventId,
        finishedEventRetention.isZero() ? "kept" : finishedEventRetention);
  }

  @Override
  public CompletableFuture<Void> persistBatch(DecisionBatch batch, long fencingEpoch) {
    EventKeys keys = new EventKeys(batch.eventId());
    String[] keyNames = {keys.meta(), keys.decisions(), keys.log(), keys.users(), keys.outbox()};
    CompletableFuture<List<Object>> written = replicas.after(keys.meta(), () -> functions.call(
        functions.persistBatch, ScriptOutputType.MULTI, keyNames, BatchArgs.of(batch, fencingEpoch, writer)));
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
  public CompletableFuture<Void> persistAuctionClose(AuctionClose close, long fencingEpoch) {
    EventKeys keys = new EventKeys(close.eventId());
    List<byte[]> args = new ArrayList<>(List.of(close.eventId().getBytes(UTF_8), ascii(fencingEpoch),
        writer.getBytes(UTF_8), ascii(close.closeMicros())));
    for (Ticket t : close.winners()) {
      Stream.of(t.requestId(), t.userId(), t.region(), Long.toString(t.stampMicros())).forEach(a -> args.add(a.getBytes(UTF_8)));
    }
    CompletableFuture<List<Object>> written = replicas.after(keys.meta(), () -> functions.call(functions.persistAuctionClose,
        ScriptOutputType.MULTI, new String[] {keys.meta(), keys.decisions(), keys.outbox()}, args.toArray(byte[][]::new)));
    return written.handleAsync((reply, failure) -> {
      if (failure != null) throw RedisErrors.translate(close.eventId(), failure);
      log.info("auction close stored event={} closeMicros={} winners={} verdict={}", close.eventId(), close.closeMicros(),
          close.winners().size(), EventCodec.text(reply.get(0)));
      return null;
    }, callbacks);
  }

  @Override
  public CompletableFuture<Void> recordRegionNode(Partition partition, String source, long fencingEpoch) {
    return regionNodeWrite(source, replicas.after(EventKeys.REGION_NODE_RECORDS, () -> functions.<String>call(
        functions.recordRegionNode, ScriptOutputType.STATUS, new String[] {EventKeys.REGION_NODE_RECORDS},
        regionNodeArgs(partition, source, fencingEpoch))));
  }

  /**
   * Sent once, never again after a reload of the library: a forget that landed after this writer's
   * later record of the node, under the same epoch, would be taken for its own.
   */
  @Override
  public CompletableFuture<Void> forgetRegionNode(Partition partition, String source, long fencingEpoch) {
    CompletableFuture<String> forgotten = functions.callOnce(functions.forgetRegionNode, ScriptOutputType.STATUS,
        new String[] {EventKeys.REGION_NODE_RECORDS}, regionNodeArgs(partition, source, fencingEpoch));
    // A record of a build before epochs (one set for all partitions) has no writer to respect.
    CompletableFuture<Long> legacy = redis.srem(EventKeys.LEGACY_REGION_NODES, source.getBytes(UTF_8)).toCompletableFuture();
    return regionNodeWrite(source, forgotten.thenCombine(legacy, (verdict, removed) -> verdict));
  }

  private byte[][] regionNodeArgs(Partition partition, String source, long fencingEpoch) {
    return new byte[][] {ascii(partition.index()), ascii(partition.count()), source.getBytes(UTF_8), ascii(fencingEpoch),
        writer.getBytes(UTF_8)};
  }

  private CompletableFuture<Void> regionNodeWrite(String source, CompletionStage<?> write) {
    return write.toCompletableFuture().handleAsync((changed, failure) -> {
      if (failure == null) return null;
      RuntimeException cause = RedisErrors.translate(source, failure);
      if (cause instanceof StoreNotReplicatedException) throw cause; // says what happened already
      throw new IllegalStateException("writing region node " + source + " failed: " + cause, cause);
    }, callbacks);
  }

  @Override
  public List<String> regionNodes(Partition partition) {
    Set<String> nodes = new LinkedHashSet<>();
    await("*", redis.hgetall(EventKeys.REGION_NODE_RECORDS)).forEach((field, value) -> {
      RegionNodeRecord record = parseRegionNodeRecord(field, new String(value, UTF_8));
      if (record.waitedForBy(partition)) nodes.add(record.source());
    });
    await("*", redis.smembers(EventKeys.LEGACY_REGION_NODES)).forEach(b -> nodes.add(new String(b, UTF_8)));
    return List.copyOf(nodes);
  }

  /** Field {@code "<partition> <node>"}, value {@code "<epoch> <partition count> <writer>"}. */
  private static RegionNodeRecord parseRegionNodeRecord(String field, String value) {
    int space = field.indexOf(' ');
    String[] parts = value.split(" ", 3);
    if (space < 0 || parts.length != 3) {
      throw new IllegalStateException("malformed region node record " + field + " = " + value);
    }
    return new RegionNodeRecord(Integer.parseInt(field.substring(0, space)), field.substring(space + 1),
        Long.parseLong(parts[0]), Integer.parseInt(parts[1]), parts[2]);
  }

  @Override
  public Optional<AuctionClose> findAuctionClose(String eventId) {
    return vouched(eventId, () -> readAuctionClose(eventId, new EventKeys(eventId)), Optional::isPresent);
  }

  private Optional<AuctionClose> readAuctionClose(String eventId, EventKeys keys) {
    var fields = await(eventId, redis.hmget(keys.meta(), "auction_close_micros", "auction_winners"));
    if (!fields.get(0).hasValue()) return Optional.empty();
    String winners = new String(fields.get(1).getValue(), UTF_8);
    List<Ticket> tickets = new ArrayList<>();
    if (!winners.isEmpty()) {
      for (var value : await(eventId, redis.hmget(keys.decisions(), winners.split("\n")))) {
        tickets.add(DecisionCodec.decode(eventId, value.getValueOrElse(null)).ticket());
      }
    }
    return Optional.of(new AuctionClose(eventId, Long.parseLong(new String(fields.get(0).getValue(), UTF_8)), tickets));
  }

  @Override
  public void fenceEvent(String eventId, long fencingEpoch) {
    String[] keyNames = {new EventKeys(eventId).meta()};
    await(eventId, replicas.after(keyNames[0], () -> functions.call(functions.fenceEvent, ScriptOutputType.INTEGER,
        keyNames, eventId.getBytes(UTF_8), ascii(fencingEpoch), writer.getBytes(UTF_8))));
    // Debug: a look-up of a finished event claims it again each time (the recovery logs its count).
    log.debug("event claimed event={} epoch={}", eventId, fencingEpoch);
  }

  @Override
  public EventHead loadHead(String eventId) {
    return vouched(eventId, () -> readHead(eventId), head -> true);
  }

  private EventHead readHead(String eventId) {
    Map<String, byte[]> meta = await(eventId, redis.hgetall(new EventKeys(eventId).meta()));
    if (meta.isEmpty()) throw new EventNotFoundException("event " + eventId + " does not exist");
    Map<String, String> fields = EventCodec.strings(meta);
    EventHead head = EventCodec.head(fields);
    return head.spec().auction().isEmpty() ? head : head.withAuction(auctionStanding(head, fields));
  }

  /**
   * An auction's standing as the last batch stored it (its bids read back by request id: at most
   * its units), closed once the result is stored; empty for an auction decided without it.
   */
  private Optional<AuctionStanding> auctionStanding(EventHead head, Map<String, String> meta) {
    String eventId = head.spec().eventId();
    boolean closed = meta.containsKey("auction_close_micros");
    String text = meta.get("auction_standing");
    if (text == null) {
      return head.lastRank() == 0 ? Optional.of(AuctionStanding.fresh(head.spec()).withClosed(closed)) : Optional.empty();
    }
    List<String> ids = AuctionStanding.requestIds(text);
    List<Ticket> bids = new ArrayList<>();
    if (!ids.isEmpty()) {
      for (var value : await(eventId, redis.hmget(new EventKeys(eventId).decisions(), ids.toArray(String[]::new)))) {
        bids.add(DecisionCodec.decode(eventId, value.getValueOrElse(null)).ticket());
      }
    }
    return Optional.of(new AuctionStanding(AuctionStanding.closeMicros(text), bids, closed));
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
    byte[] bytes = vouched(eventId, () -> await(eventId, redis.hget(new EventKeys(eventId).decisions(), requestId)),
        Objects::nonNull);
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
    return vouched(eventId, () -> decode(eventId, read(eventId, functions.decisionsRange, keyNames, indexes)),
        decisions -> !decisions.isEmpty());
  }

  @Override
  public List<Decision> readOutbox(String eventId) {
    return vouched(eventId, () -> readOutbox(eventId, new EventKeys(eventId)), winners -> !winners.isEmpty());
  }

  private List<Decision> readOutbox(String eventId, EventKeys keys) {
    List<Decision> winners = new ArrayList<>();
    Range<String> rest = Range.unbounded();
    while (true) {
      List<StreamMessage<String, byte[]>> page = await(eventId, redis.xrange(keys.outbox(), rest, Limit.from(PAGE)));
      // Entries after the win (paid, cancelled, ...) are RedisOrderStore#readTransitions'.
      String[] requestIds = page.stream().filter(m -> !m.getBody().containsKey(RedisOrderStore.TRANSITION))
          .map(m -> new String(m.getBody().get("request_id"), UTF_8)).toArray(String[]::new);
      if (requestIds.length > 0) {
        for (var value : await(eventId, redis.hmget(keys.decisions(), requestIds))) {
          winners.add(DecisionCodec.decode(eventId, value.getValueOrElse(null)));
        }
      }
      if (page.size() < PAGE) return winners;
      rest = Range.from(Range.Boundary.excluding(page.get(page.size() - 1).getId()), Range.Boundary.unbounded());
    }
  }

  /** For the {@link RedisOrderStore} made from this store: same connection, functions and fencing writer. */
  RedisClusterAsyncCommands<String, byte[]> commands() {
    return redis;
  }

  ArbiterFunctions functions() {
    return functions;
  }

  String writer() {
    return writer;
  }

  ExecutorService callbacks() {
    return callbacks;
  }

  ReplicaWait replicas() {
    return replicas;
  }

  /** Closes the connection and its client, then the callback thread. */
  @Override
  public void close() {
    releaseAll();
    log.info("redis store closed");
  }

  private void releaseAll() {
    connection.close();
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

  static byte[] ascii(long n) {
    return Long.toString(n).getBytes(UTF_8);
  }

  static <T> T await(String eventId, CompletionStage<T> call) {
    try {
      return call.toCompletableFuture().join();
    } catch (RuntimeException e) {
      throw RedisErrors.translate(eventId, e);
    }
  }
}
