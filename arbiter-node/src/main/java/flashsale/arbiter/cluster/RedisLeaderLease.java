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

  private final RedisConnection<String> connection;
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

  /** The lease of partition {@code partition} (of several), on its own keys. */
  public static RedisLeaderLease forPartition(String redisUri, String nodeId, String advertise, LeaseSettings settings,
      ReplicaAcks acks, int partition) {
    if (partition < 0) throw new IllegalArgumentException("partition " + partition + " < 0");
    String tag = "fs:{arbiter-p" + partition + "}:";
    return new RedisLeaderLease(redisUri, nodeId, advertise, settings, acks, tag + "lease", tag + "epoch");
  }

  private RedisLeaderLease(String redisUri, String nodeId, String advertise, LeaseSettings settings, ReplicaAcks acks,
      String leaseKey, String epochKey) {
    this.leaseKey = leaseKey;
    this.epochKey = epochKey;
    this.connection = RedisConnection.open(redisUri, StringCodec.UTF8, Duration.ofMillis(settings.ttlMs()), true,
        acks.waits());
    this.redis = connection.async();
    this.owner = nodeId + "/" + UUID.randomUUID();
    this.replicas = new ReplicaWait<>(connection, acks, owner);
    this.advertise = advertise;
    this.settings = settings;
    this.layout = leaseKey.equals(LEASE_KEY) ? new PartitionLayout(redis, 1, settings) : null;
  }

  @Override
  public CompletionStage<LeaseView> tryAcquire(long epochFloor) {
    if (layout != null) layout.refresh();
    ReplicaWait.Mark mark = replicas.mark(epochKey);
    return redis.<List<String>>eval(ACQUIRE, ScriptOutputType.MULTI, new String[] {leaseKey, epochKey},
            owner, advertise, Long.toString(settings.ttlMs()), Long.toString(epochFloor))
        .thenCompose(reply -> {
          var view = new LeaseView("1".equals(reply.get(0)), Long.parseLong(reply.get(1)),
              reply.get(2) == null ? "" : reply.get(2));
          // Only an epoch we were given must outlive a failover; a refusal just names the holder.
          return view.mine() ? replicas.replicated(mark).thenApply(replicated -> view) : CompletableFuture.completedFuture(view);
        });
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

  @Override
  public void close() {
    connection.close();
  }
}
