package flashsale.system.faults;

import flashsale.store.redis.RedisConnection;
import io.lettuce.core.codec.StringCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The leader leases as Redis holds them ({@code fs:{arbiter-pN}:lease}, or {@code fs:{arbiter}:lease}
 * unpartitioned): who leads each, under which epoch; on one server or a Redis Cluster.
 */
final class PartitionLeases {
  private PartitionLeases() {}

  /** One partition's lease; {@code leader} empty and epoch 0 when nobody holds it. */
  record Lease(int partition, String leader, long epoch) {}

  record View(List<Lease> leases) {
    boolean allLed() {
      return leases.stream().allMatch(l -> !l.leader().isEmpty());
    }

    /** How many partitions each leader holds. */
    Map<String, Integer> countsByLeader() {
      Map<String, Integer> counts = new TreeMap<>();
      for (Lease l : leases) {
        if (!l.leader().isEmpty()) counts.merge(l.leader(), 1, Integer::sum);
      }
      return counts;
    }

    List<Integer> ledBy(String leader) {
      return leases.stream().filter(l -> l.leader().equals(leader)).map(Lease::partition).toList();
    }
  }

  /**
   * A connection to read leases through, one server or a cluster as the URI says (the lease keys
   * of a cluster sit on several masters); open one per wait, not per poll.
   */
  static RedisConnection<String> connect(String redisUri) {
    return RedisConnection.open(redisUri, StringCodec.UTF8, null, false);
  }

  static View read(String redisUri, int partitions) {
    try (RedisConnection<String> redis = connect(redisUri)) {
      return read(redis, partitions);
    }
  }

  static View read(RedisConnection<String> redis, int partitions) {
    List<String> keys = new ArrayList<>();
    for (int p = 0; p < partitions; p++) keys.add("fs:{arbiter-p" + p + "}:lease");
    return new View(leases(redis, keys));
  }

  /** The lease of arbiters that do not split leadership ({@code fs:{arbiter}:lease}), as partition 0. */
  static Lease readUnpartitioned(String redisUri) {
    try (RedisConnection<String> redis = connect(redisUri)) {
      return leases(redis, List.of("fs:{arbiter}:lease")).get(0);
    }
  }

  private static List<Lease> leases(RedisConnection<String> redis, List<String> keys) {
    List<Lease> leases = new ArrayList<>();
    for (int p = 0; p < keys.size(); p++) {
      Map<String, String> hash = redis.async().hgetall(keys.get(p)).toCompletableFuture().join();
      leases.add(new Lease(p, hash.getOrDefault("advertise", ""), Long.parseLong(hash.getOrDefault("epoch", "0"))));
    }
    return leases;
  }
}
