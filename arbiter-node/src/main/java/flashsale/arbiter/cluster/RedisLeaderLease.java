package flashsale.arbiter.cluster;

import flashsale.store.ReplicaAcks;
import flashsale.store.redis.RedisConnection;
import flashsale.store.redis.ReplicaWait;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.IntFunction;

/**
 * The leader lease as a Redis hash with a PX expiry, {@code fs:{arbiter}:lease} (epoch, owner,
 * advertised address), and the epoch counter {@code fs:{arbiter}:epoch}. Each script checks and
 * writes in one step. The owner is the node id plus a per-process token, so a restarted node with
 * the same id never inherits a lease its previous life held without taking a new epoch. Both keys
 * share the hash tag {@code {arbiter}}, so on a Redis Cluster they sit on one master and each script
 * goes there. That master's asynchronous failover can roll the counter back: acquiring therefore
 * takes a floor (the highest epoch seen holding an event) and never issues an epoch at or below it.
 *
 * <p>With replica acknowledgements asked for ({@link ReplicaAcks}), an acquire counts only once
 * the replicas hold its epoch: a primary that failed over before replicating it would otherwise
 * hand the same epoch to the next leader while this one still used it, and epoch fencing could
 * not tell their writes apart. Renewals are not waited for: a renewal lost in a failover only
 * shortens the lease, and the next leader's epoch, above ours, fences what we still write.
 *
 * <p>With leadership split into partitions, partition N has its own pair, {@code fs:{arbiter-pN}:lease}
 * and {@code fs:{arbiter-pN}:epoch}: each its own slot, so a cluster spreads them over its masters.
 */
public final class RedisLeaderLease implements LeaderLease {
  static final String LEASE_KEY = "fs:{arbiter}:lease";
  static final String EPOCH_KEY = "fs:{arbiter}:epoch";

  // Acquiring always takes a new epoch, even when re-acquiring our own lease: batches of our
  // previous term may still be in flight, and the new term must fence them too.
  private static final String ACQUIRE = """
      local cur = redis.call('HMGET', KEYS[1], 'epoch', 'owner', 'advertise')
      if cur[1] and cur[2] ~= ARGV[1] then return {'0', cur[1], cur[3]} end
      if tonumber(redis.call('GET', KEYS[2]) or '0') < tonumber(ARGV[4]) then redis.call('SET', KEYS[2], ARGV[4]) end
      local epoch = redis.call('INCR', KEYS[2])
      redis.call('HSET', KEYS[1], 'epoch', epoch, 'owner', ARGV[1], 'advertise', ARGV[2])
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      return {'1', tostring(epoch), ARGV[2]}
      """;
  private static final String RENEW = """
      local cur = redis.call('HMGET', KEYS[1], 'epoch', 'owner')
      if cur[2] ~= ARGV[1] or cur[1] ~= ARGV[2] then return 0 end
      redis.call('PEXPIRE', KEYS[1], ARGV[3])
      return 1
      """;
  private static final String RELEASE = """
      local cur = redis.call('HMGET', KEYS[1], 'epoch', 'owner')
      if cur[2] ~= ARGV[1] or cur[1] ~= ARGV[2] then return 0 end
      return redis.call('DEL', KEYS[1])
      """;

  private final SharedConnection shared;
  /** Set by {@link #close}: an acquire answered later gives back what it won. */
  private volatile boolean closed;
  /** The acquire in flight, if any: the shared connection is let go only after it. */
  private volatile CompletableFuture<LeaseView> acquiring = CompletableFuture.completedFuture(null);
  private final RedisClusterAsyncCommands<String, String> redis;
  private final ReplicaWait<String> replicas;
  private final String owner;
  private final String advertise;
  private final LeaseSettings settings;
  private final String leaseKey;
  private final String epochKey;
  /** The single lease (no partitions) keeps the partition count 1 alive; a partition's lease leaves it to the roster. */
  private final PartitionLayout layout;

  /**
   * Connects now, to one Redis or a cluster ({@code redis-cluster://h1:p1,h2:p2}). Every call then
   * completes within the ttl (a reply later than the ttl is worthless; renewals overlap, so a long
   * timeout delays none), at once exceptionally while Redis is unreachable (rejected, not queued: a
   * queued acquire could run long after we gave up on it); a missed reply costs one renew interval
   * of the ttl, not the lease.
   */
  public RedisLeaderLease(String redisUri, String nodeId, String advertise, LeaseSettings settings) {
    this(redisUri, nodeId, advertise, settings, ReplicaAcks.NONE);
  }

  /** As {@link #RedisLeaderLease(String, String, String, LeaseSettings)}, an acquire waiting for {@code acks}. */
  public RedisLeaderLease(String redisUri, String nodeId, String advertise, LeaseSettings settings, ReplicaAcks acks) {
    this(redisUri, nodeId, advertise, settings, acks, LEASE_KEY, EPOCH_KEY);
  }

  /** The lease of partition {@code partition} (of several), on its own keys and its own connection. */
  public static RedisLeaderLease forPartition(String redisUri, String nodeId, String advertise, LeaseSettings settings,
      ReplicaAcks acks, int partition) {
    return new RedisLeaderLease(SharedConnection.open(redisUri, nodeId, settings, acks), advertise, settings,
        partitionKey(partition, "lease"), partitionKey(partition, "epoch"));
  }

  /**
   * Opens each partition's lease (see {@link #forPartition}) on one connection, opened with the
   * first lease and closed with the last: a client per partition would be a set of threads per
   * partition (lettuce's event loops and computation pool), thousands with hundreds of partitions.
   */
  public static IntFunction<LeaderLease> partitionLeases(String redisUri, String nodeId, String advertise,
      LeaseSettings settings, ReplicaAcks acks) {
    return new IntFunction<>() {
      private SharedConnection shared;

      @Override
      public synchronized LeaderLease apply(int partition) {
        // Opened holding the first lease; after the last one closed, a new one (only at start and stop in practice).
        if (shared == null || !shared.tryRetain()) shared = SharedConnection.open(redisUri, nodeId, settings, acks);
        return new RedisLeaderLease(shared, advertise, settings, partitionKey(partition, "lease"),
            partitionKey(partition, "epoch"));
      }
    };
  }

  private static String partitionKey(int partition, String name) {
    if (partition < 0) throw new IllegalArgumentException("partition " + partition + " < 0");
    return "fs:{arbiter-p" + partition + "}:" + name;
  }

  private RedisLeaderLease(String redisUri, String nodeId, String advertise, LeaseSettings settings, ReplicaAcks acks,
      String leaseKey, String epochKey) {
    this(SharedConnection.open(redisUri, nodeId, settings, acks), advertise, settings, leaseKey, epochKey);
  }

  private RedisLeaderLease(SharedConnection shared, String advertise, LeaseSettings settings, String leaseKey,
      String epochKey) {
    this.shared = shared; // retained for this lease by whoever opened or shared it
    this.shared.requireRetained();
    this.leaseKey = leaseKey;
    this.epochKey = epochKey;
    this.redis = shared.connection.async();
    this.owner = shared.owner;
    this.replicas = shared.replicas;
    this.advertise = advertise;
    this.settings = settings;
    this.layout = leaseKey.equals(LEASE_KEY) ? new PartitionLayout(redis, 1, settings) : null;
  }

  /**
   * A connection and its replica waits, shared by the leases opened on it and closed with the last
   * of them. The owner (node id plus a per-process token) is the same for all of them: each lease
   * has keys of its own. Its waits are shared too: any new TCP connection of the client (a
   * reconnect, a cluster node first used) fails every partition's wait in flight, and each of those
   * acquires is released and tried again at its next tick.
   */
  private static final class SharedConnection {
    private final RedisConnection<String> connection;
    private final ReplicaWait<String> replicas;
    private final String owner;
    private int leases;
    private boolean closed;

    private SharedConnection(RedisConnection<String> connection, ReplicaAcks acks, String owner) {
      this.connection = connection;
      this.owner = owner;
      this.replicas = new ReplicaWait<>(connection, acks, owner);
      this.leases = 1; // the lease it is opened for
    }

    static SharedConnection open(String redisUri, String nodeId, LeaseSettings settings, ReplicaAcks acks) {
      return new SharedConnection(RedisConnection.open(redisUri, StringCodec.UTF8, Duration.ofMillis(settings.ttlMs()),
          true, acks.waits()), acks, nodeId + "/" + UUID.randomUUID());
    }

    /** One more lease on this connection; false once the last one closed it. */
    synchronized boolean tryRetain() {
      if (closed) return false;
      leases++;
      return true;
    }

    synchronized void requireRetained() {
      if (closed || leases < 1) throw new IllegalStateException("a lease on a closed Redis connection");
    }

    synchronized void release() {
      if (closed || --leases > 0) return;
      closed = true;
      connection.close();
    }
  }

  @Override
  public CompletionStage<LeaseView> tryAcquire(long epochFloor) {
    if (layout != null) layout.refresh();
    if (closed) return CompletableFuture.failedFuture(new IllegalStateException("lease closed"));
    ReplicaWait.Mark mark = replicas.mark(epochKey);
    CompletableFuture<LeaseView> acquire = redis.<List<String>>eval(ACQUIRE, ScriptOutputType.MULTI,
            new String[] {leaseKey, epochKey}, owner, advertise, Long.toString(settings.ttlMs()),
            Long.toString(epochFloor)).toCompletableFuture()
        .thenCompose(reply -> {
          var view = new LeaseView("1".equals(reply.get(0)), Long.parseLong(reply.get(1)),
              reply.get(2) == null ? "" : reply.get(2));
          // Only an epoch we were given must outlive a failover; a refusal just names the holder.
          if (!view.mine()) return CompletableFuture.completedFuture(view);
          if (closed) {
            // Won after close: nobody will lead under it, so the others need not wait out its ttl.
            return releaseAsync(view.epoch()).toCompletableFuture().handle(
                (released, error) -> new LeaseView(false, view.epoch(), view.leaderAddress()));
          }
          // Not replicated: give the lease back at once, or this node would hold it without leading
          // (re-acquiring its own lease each tick) while a node whose waits succeed could not take it.
          return replicas.replicated(mark).thenApply(replicated -> view).exceptionallyCompose(notReplicated -> {
            releaseAsync(view.epoch());
            return CompletableFuture.failedFuture(notReplicated);
          });
        });
    acquiring = acquire;
    return acquire;
  }

  @Override
  public CompletionStage<LeaseView> holder() {
    return redis.hmget(leaseKey, "epoch", "advertise").thenApply(values -> {
      String epoch = values.get(0).getValueOrElse(null);
      String address = values.get(1).getValueOrElse("");
      return new LeaseView(false, epoch == null ? 0 : Long.parseLong(epoch), address == null ? "" : address);
    });
  }

  @Override
  public CompletionStage<Boolean> renew(long epoch) {
    if (layout != null) layout.refresh();
    return redis.<Long>eval(RENEW, ScriptOutputType.INTEGER, new String[] {leaseKey},
            owner, Long.toString(epoch), Long.toString(settings.ttlMs()))
        .thenApply(ok -> ok == 1L);
  }

  @Override
  public void release(long epoch) {
    releaseAsync(epoch).toCompletableFuture().join();
  }

  @Override
  public CompletionStage<Void> releaseAsync(long epoch) {
    return redis.eval(RELEASE, ScriptOutputType.INTEGER, new String[] {leaseKey}, owner, Long.toString(epoch))
        .thenApply(ignored -> null);
  }

  /**
   * Closes the connection once no other lease shares it, after the acquire in flight if any (which
   * gives back a lease it wins from now on).
   */
  @Override
  public void close() {
    if (closed) return;
    closed = true;
    acquiring.whenComplete((view, error) -> shared.release());
  }
}
