package flashsale.system.faults;

import flashsale.store.redis.RedisTarget;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisHashCommands;
import io.lettuce.core.cluster.RedisClusterClient;
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

  static View read(String redisUri, int partitions) {
    List<String> keys = new ArrayList<>();
    for (int p = 0; p < partitions; p++) keys.add("fs:{arbiter-p" + p + "}:lease");
    return new View(read(redisUri, keys));
  }

  /** The lease of arbiters that do not split leadership ({@code fs:{arbiter}:lease}), as partition 0. */
  static Lease readUnpartitioned(String redisUri) {
    return read(redisUri, List.of("fs:{arbiter}:lease")).get(0);
  }

  /** Reads through a cluster connection for {@code redis-cluster://} (the lease keys sit on several masters). */
  private static List<Lease> read(String redisUri, List<String> keys) {
    RedisTarget target = RedisTarget.parse(redisUri);
    if (!target.cluster()) {
      RedisClient client = RedisClient.create(target.seeds().get(0));
      try (var connection = client.connect()) {
        return leases(connection.sync(), keys);
      } finally {
        client.shutdown();
      }
    }
    RedisClusterClient client = RedisClusterClient.create(target.seeds());
    try (var connection = client.connect()) {
      return leases(connection.sync(), keys);
    } finally {
      client.shutdown();
    }
  }

  private static List<Lease> leases(RedisHashCommands<String, String> redis, List<String> keys) {
    List<Lease> leases = new ArrayList<>();
    for (int p = 0; p < keys.size(); p++) {
      Map<String, String> hash = redis.hgetall(keys.get(p));
      leases.add(new Lease(p, hash.getOrDefault("advertise", ""), Long.parseLong(hash.getOrDefault("epoch", "0"))));
    }
    return leases;
  }
}
