package flashsale.store.modes;

import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import flashsale.sale.Ticket;
import flashsale.shard.ShardBackend;
import flashsale.store.BuyReply;
import flashsale.store.PoolCounters;
import flashsale.store.PoolExistsException;
import flashsale.store.PoolLostException;
import flashsale.store.PoolStore;
import flashsale.store.ReplicaAcks;
import flashsale.store.redis.FunctionLibrary;
import flashsale.store.redis.RedisConnection;
import flashsale.store.redis.RedisTarget;
import flashsale.store.redis.ReplicaWait;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link PoolStore} of CENTRAL and SHARDED events on one Redis 7+ or a Redis Cluster (lettuce), through the
 * function library {@code modes.lua}: a region node buys from the central pool or its own shard, and the
 * arbiter's rebalancer moves shard stock with the transfer steps ({@link #shard}). Safe from any
 * thread: lettuce pipelines concurrent calls over one connection.
 *
 * <p>With {@link ReplicaAcks} asked for, every call, a read as well as a write, answers only once
 * the replicas hold what the primary held when it ran ({@link ReplicaWait}): a CENTRAL or SHARDED
 * decision told to a buyer, or a shard transfer step, then survives the primary's failover.
 */
public final class RedisPoolStore implements PoolStore {
  private static final Logger log = LoggerFactory.getLogger(RedisPoolStore.class);
  private static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

  /** How often a store that could not be reached at start is tried again. */
  static final long CONNECT_RETRY_MS = 1_000;

  /**
   * The connection and its loaded library, once the store was reached; the buy's name named once,
   * for every purchase; the replica waits on that connection.
   */
  private record Connected(RedisConnection<byte[]> connection, FunctionLibrary functions, String buy,
      ReplicaWait<byte[]> replicas) {}

  private final String target;
  private final ReplicaAcks acks;
  private volatile Connected connected;
  private volatile String unreachableBecause = "";
  private final ScheduledExecutorService reconnects;
  private final PoolReader central = new PoolReader(this, PoolKeys::central);
  /**
   * The pools (their state keys) this store saw exist, each with the highest version it saw (every
   * write adds one; 1 for a pool of an earlier build, which has none). One found gone later was
   * lost by the store, one found at an older version was rolled back: either is marked lost rather
   * than sold from again. In memory: a node started after the loss knows only what the event's
   * spec says ({@link EventSpec#poolsOpenedAtCreation}). Bounded by the events this node sold lately.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, Long> versionsSeen = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * Connects to {@code redis://host:port[/db]}, or a cluster's seeds {@code redis-cluster://h1:p1,h2:p2}
   * (see {@link RedisTarget}), and loads the library on every master (fails fast without Redis 7).
   * Async calls time out too, so no purchase waits forever on a dead store. A store that cannot be
   * reached now does not stop the node that needs it: it is tried again every second, and calls
   * fail at once until it answers (a region's other modes, or an arbiter's other regions, go on).
   */
  public RedisPoolStore(String redisUri) {
    this(redisUri, ReplicaAcks.NONE);
  }

  /** How long one of its commands may take before it fails here; empty until it has connected. */
  public synchronized java.util.Optional<Duration> commandTimeout() {
    return java.util.Optional.ofNullable(connected).map(c -> c.connection().commandTimeout());
  }

  /** As {@link #RedisPoolStore(String)}; every call answers once {@code acks} replicas hold what it wrote or read. */
  public RedisPoolStore(String redisUri, ReplicaAcks acks) {
    this.target = RedisTarget.parse(redisUri).describe();
    this.acks = acks;
    if (tryConnect(redisUri)) {
      this.reconnects = null;
      return;
    }
    log.warn("pool store not reachable target={}: {}; calls fail until it answers, tried every {} ms", target,
        unreachableBecause, CONNECT_RETRY_MS);
    this.reconnects = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon()
        .name("pool-store-connect").factory());
    reconnects.scheduleWithFixedDelay(() -> {
      try {
        if (connected == null && tryConnect(redisUri)) reconnects.shutdown();
      } catch (RuntimeException wrongServer) {
        // Thrown out of this task, it would end the tries without a word.
        unreachableBecause = wrongServer.getMessage();
        log.error("pool store target={} cannot serve: {}; no more tries", target, wrongServer.getMessage());
        reconnects.shutdown();
      }
    }, CONNECT_RETRY_MS, CONNECT_RETRY_MS, TimeUnit.MILLISECONDS);
  }

  private synchronized boolean tryConnect(String redisUri) {
    if (connected != null) return true;
    RedisConnection<byte[]> connection;
    try {
      // A purchase waits on these commands: 2 s unless the URI says otherwise, and never below two
      // replica waits (one runs on this connection).
      Duration timeout = RedisConnection.commandTimeout(RedisTarget.parse(redisUri), acks, Duration.ofSeconds(2));
      connection = RedisConnection.open(redisUri, CODEC, timeout, false, acks.waits());
    } catch (RuntimeException e) {
      unreachableBecause = e.getMessage();
      return false;
    }
    try {
      FunctionLibrary functions = new FunctionLibrary(connection, RedisPoolStore.class, "modes.lua");
      functions.load();
      connected = new Connected(connection, functions, functions.function("fs_modes_buy"),
          new ReplicaWait<>(connection, acks, ("pool-" + UUID.randomUUID()).getBytes(UTF_8)));
    } catch (RuntimeException e) {
      connection.close();
      if (e instanceof FunctionLibrary.FunctionsUnsupportedException) throw e; // a wrong server, not a missing one
      unreachableBecause = e.getMessage();
      return false;
    }
    log.info("pool store connected target={} replicaAcks={} replicaWaitMs={}", target, acks.replicas(),
        acks.timeout().toMillis());
    String shortfall = connected.replicas().replicaShortfall();
    if (shortfall != null) log.warn("pool store target={}: {}", target, shortfall);
    return true;
  }

  private IllegalStateException unreachable() {
    return new IllegalStateException("pool store " + target + " not reached yet: " + unreachableBecause);
  }

  /**
   * Calls the library's function named {@code prefix}; fails at once while the store was never
   * reached, and with {@link PoolLostException} when the function found its pool lost.
   */
  <T> CompletableFuture<T> call(String prefix, ScriptOutputType type, String[] keys, byte[]... args) {
    Connected c = connected;
    if (c == null) return CompletableFuture.failedFuture(unreachable());
    return translated(c.replicas().after(keys[0], () -> c.functions().call(c.functions().function(prefix), type, keys, args)));
  }

  /**
   * The least version the pool at {@code poolKey} must be at ({@code "0"}: nothing known): the
   * highest this store saw, and at least 1 when it was opened at its event's creation. A function
   * finding it gone, or older, marks it lost.
   */
  byte[] seenVersion(String poolKey, boolean openedAtCreation) {
    long known = versionsSeen.getOrDefault(poolKey, 0L);
    return bytes(openedAtCreation ? Math.max(known, 1) : known);
  }

  /** The pool at {@code poolKey} exists at {@code version} or later (a call on it answered, or a read found it). */
  void saw(String poolKey, long version) {
    long atLeast = Math.max(version, 1); // a pool of an earlier build tells no version until written here
    Long known = versionsSeen.get(poolKey);
    if (known != null && known >= atLeast) return; // every buy comes here: no size count on the way
    if (known == null && versionsSeen.size() >= MAX_POOLS_SEEN) versionsSeen.clear(); // forgetting only weakens the check
    versionsSeen.merge(poolKey, atLeast, Math::max);
  }

  static long version(Object bulk) {
    return bulk == null ? 0 : Long.parseLong(text(bulk));
  }

  /**
   * What a read found of the pool at {@code poolKey}: fails with {@link PoolLostException} when it
   * is marked lost ({@code lostAt} set), absent though it was opened at its event's creation or
   * this store saw it, or at an older version than this store saw; else notes it seen when present.
   */
  void requireNotLost(String poolKey, Object initial, Object lostAt, Object version, boolean openedAtCreation) {
    if (lostAt != null) throw new PoolLostException(poolKey + " was marked lost at " + text(lostAt)
        + " (its store lost it after its sale began); restore it, or write its counts again by hand (see the README)");
    long known = versionsSeen.getOrDefault(poolKey, 0L);
    if (initial == null && known > 0) throw markBehind(poolKey, known, new PoolLostException(poolKey
        + " is gone from its store, which held it before (lost after its sale began); restore it"));
    // Not marked: an event stored whose pools are not opened yet (an opening that failed, retried
    // by its create) reads the same, and a mark would keep it from ever opening.
    if (initial == null && openedAtCreation) throw new PoolLostException(poolKey
        + " is gone from its store, though the arbiter opened it when it created the event; restore it (or check that"
        + " the arbiter's --central-redis / --shard-redis name the stores the regions sell from)");
    if (initial == null) return;
    if (version != null && version(version) < known) throw markBehind(poolKey, known, new PoolLostException(
        poolKey + " is at version " + text(version) + " though this node saw version " + known + ": its store was rolled"
        + " back (an older snapshot, or a replica that was behind), and holds units already sold; restore it"));
    saw(poolKey, version(version));
  }

  /**
   * A read found the pool gone or rolled back below {@code knownVersion}, which this node saw: marks
   * it lost in its store (without waiting: reads run on the client's threads), so the regions
   * selling from it, which may have seen only the older version, stop too. Returns {@code lost}.
   */
  private PoolLostException markBehind(String poolKey, long knownVersion, PoolLostException lost) {
    CompletableFuture<Object> marked = call("fs_modes_mark_behind", ScriptOutputType.STATUS, new String[] {poolKey},
        bytes(knownVersion));
    marked.whenComplete((verdict, failure) -> {
      if (failure != null) log.warn("pool {} found behind by a read, not marked lost: {}", poolKey, failure.toString());
      else if ("MARKED".equals(text(verdict))) log.error("pool {} marked lost: {}", poolKey, lost.getMessage());
    });
    return lost;
  }

  static final int MAX_POOLS_SEEN = 100_000;

  private static <T> CompletableFuture<T> translated(CompletableFuture<T> call) {
    return call.exceptionallyCompose(failure -> {
      Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
          ? failure.getCause() : failure;
      String message = cause instanceof io.lettuce.core.RedisCommandExecutionException e ? e.getMessage() : null;
      if (message == null) return CompletableFuture.failedFuture(failure);
      if (message.startsWith("POOLLOST ")) return CompletableFuture.failedFuture(new PoolLostException(message.substring(9)));
      if (message.startsWith("POOLEXISTS ")) {
        return CompletableFuture.failedFuture(new PoolExistsException(message.substring(11)));
      }
      return CompletableFuture.failedFuture(failure);
    });
  }

  @Override
  public CompletableFuture<Void> openCentral(EventSpec spec) {
    return open(PoolKeys.central(spec.eventId()).state(), spec.stock());
  }

  @Override
  public CompletableFuture<Void> openShard(EventSpec spec, String region) {
    return open(PoolKeys.shard(spec.eventId(), region).state(), spec.shardUnitsOf(region));
  }

  private CompletableFuture<Void> open(String pool, long initialUnits) {
    CompletableFuture<String> reply = call("fs_modes_open", ScriptOutputType.STATUS, new String[] {pool}, bytes(initialUnits));
    return reply.thenAccept(r -> saw(pool, 1));
  }

  /** CENTRAL: the purchase is decided now, first come first served at this store. */
  @Override
  public CompletableFuture<BuyReply> buyCentral(EventSpec spec, Ticket ticket) {
    PoolKeys keys = PoolKeys.central(spec.eventId());
    String[] keyNames = {keys.state(), keys.decisions(), keys.users(), keys.outbox(), keys.log()};
    return buy(keyNames, spec, spec.stock(), ticket, "1");
  }

  /**
   * SHARDED: buys from the ticket's region's shard. Unless {@code decideShort}, a purchase the
   * shard cannot serve, or one stamped after a purchase its region holds for stock, is left
   * undecided ({@link BuyReply.Short}) so the region can borrow.
   */
  @Override
  public CompletableFuture<BuyReply> buyShard(EventSpec spec, Ticket ticket, boolean decideShort) {
    PoolKeys keys = PoolKeys.shard(spec.eventId(), ticket.region());
    String[] keyNames = {keys.state(), keys.decisions(), keys.users(), keys.outbox()};
    return buy(keyNames, spec, spec.shardUnitsOf(ticket.region()), ticket, decideShort ? "1" : "0");
  }

  @Override
  public CompletableFuture<BuyReply> buyHeld(EventSpec spec, Ticket ticket, long nextWaitingMicros) {
    PoolKeys keys = PoolKeys.shard(spec.eventId(), ticket.region());
    String[] keyNames = {keys.state(), keys.decisions(), keys.users(), keys.outbox()};
    return buy(keyNames, spec, spec.shardUnitsOf(ticket.region()), ticket, "R",
        nextWaitingMicros < 0 ? "" : Long.toString(nextWaitingMicros));
  }

  @Override
  public CompletableFuture<Void> clearWaiting(EventSpec spec, String region) {
    CompletableFuture<Object> cleared = call("fs_modes_unmark", ScriptOutputType.STATUS,
        new String[] {PoolKeys.shard(spec.eventId(), region).state()});
    return cleared.thenAccept(ok -> {});
  }

  @Override
  public CompletableFuture<BuyReply> decideWithoutStock(EventSpec spec, Ticket ticket) {
    PoolKeys keys = PoolKeys.shard(spec.eventId(), ticket.region());
    String[] keyNames = {keys.state(), keys.decisions(), keys.users(), keys.outbox()};
    return buy(keyNames, spec, spec.shardUnitsOf(ticket.region()), ticket, "N");
  }

  @Override
  public CompletableFuture<Optional<Decision>> findCentralDecision(String eventId, String requestId) {
    return central.findDecision(eventId, requestId);
  }

  @Override
  public CompletableFuture<PoolCounters> centralCounters(String eventId, long initialUnits) {
    return central.counters(eventId, initialUnits, false);
  }

  @Override
  public CompletableFuture<PoolCounters> centralCounters(EventSpec spec) {
    return central.counters(spec.eventId(), spec.stock(), spec.poolsOpenedAtCreation());
  }

  @Override
  public CompletableFuture<List<Decision>> listCentralDecisions(String eventId, long afterRank, int limit) {
    return central.listDecisions(eventId, afterRank, limit);
  }

  /** The reader of {@code region}'s shards of events in this store. */
  private PoolReader shardOf(String region) {
    return new PoolReader(this, eventId -> PoolKeys.shard(eventId, region));
  }

  @Override
  public CompletableFuture<Optional<Decision>> findShardDecision(String eventId, String region, String requestId) {
    return shardOf(region).findDecision(eventId, requestId);
  }

  @Override
  public CompletableFuture<PoolCounters> shardCounters(String eventId, String region, long initialUnits) {
    return shardOf(region).counters(eventId, initialUnits, false);
  }

  @Override
  public CompletableFuture<PoolCounters> shardCounters(EventSpec spec, String region) {
    return shardOf(region).counters(spec.eventId(), spec.shardUnitsOf(region), spec.poolsOpenedAtCreation());
  }

  @Override
  public void sawShard(String eventId, String region) {
    saw(PoolKeys.shard(eventId, region).state(), 1);
  }

  /** The given region's shard of {@code spec} in this store, for the transfer steps (blocking calls). */
  @Override
  public ShardBackend shard(EventSpec spec, String region) {
    return new RedisShardBackend(this, PoolKeys.shard(spec.eventId(), region), region, spec.shardUnitsOf(region),
        spec.poolsOpenedAtCreation());
  }

  /** {@code buyMode}: modes.lua's final argument: '1' decides when short, '0' answers SHORT, 'N' sells no unit. */
  private CompletableFuture<BuyReply> buy(String[] keyNames, EventSpec spec, long initialUnits, Ticket t, String buyMode) {
    return buy(keyNames, spec, initialUnits, t, buyMode, "");
  }

  private CompletableFuture<BuyReply> buy(String[] keyNames, EventSpec spec, long initialUnits, Ticket t, String buyMode,
      String nextWaitingMicros) {
    Connected c = connected;
    if (c == null) return CompletableFuture.failedFuture(unreachable());
    String pool = keyNames[0];
    CompletableFuture<List<Object>> reply = translated(c.replicas().after(pool, () -> c.functions().call(c.buy(),
        ScriptOutputType.MULTI, keyNames, bytes(spec.eventId()), bytes(initialUnits), bytes(spec.perUserLimit()),
        bytes(t.requestId()), bytes(t.userId()), bytes(t.quantity()), bytes(t.region()), bytes(t.stampMicros()),
        bytes(buyMode), seenVersion(pool, spec.poolsOpenedAtCreation()), bytes(nextWaitingMicros))));
    return reply.thenApply(r -> {
      String kind = text(r.get(0));
      long version = version(r.get(2));
      // A retry is answered from the decisions, even with the pool gone: only a version it found counts.
      if (!kind.equals("DECIDED") || version > 0) saw(pool, version);
      String value = text(r.get(1));
      return switch (kind) {
        case "SHORT" -> new BuyReply.Short(Long.parseLong(value));
        case "NEW", "DECIDED" -> new BuyReply.Decided(DecisionText.parse(spec.eventId(), t.requestId(), value),
            kind.equals("DECIDED"));
        default -> throw new IllegalStateException("event " + spec.eventId() + ": unexpected buy reply " + kind);
      };
    });
  }

  CompletableFuture<byte[]> hget(String key, String field) {
    Connected c = connected;
    if (c == null) return CompletableFuture.failedFuture(unreachable());
    return c.replicas().after(key, () -> c.connection().async().hget(key, field).toCompletableFuture());
  }

  <T> T await(String what, CompletableFuture<T> call) {
    try {
      return call.join();
    } catch (RuntimeException e) {
      throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
    }
  }

  static byte[] bytes(Object value) {
    return String.valueOf(value).getBytes(UTF_8);
  }

  static String text(Object bulk) {
    return bulk instanceof byte[] b ? new String(b, UTF_8) : String.valueOf(bulk);
  }

  @Override
  public synchronized void close() {
    if (reconnects != null) reconnects.shutdownNow();
    Connected c = connected;
    if (c != null) c.connection().close();
  }
}
