package flashsale.system;

import flashsale.client.bench.BurstDriver;
import flashsale.client.bench.BurstPlan;
import flashsale.client.bench.ModeRun;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.ModeStores;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.client.report.RunResult;
import flashsale.store.ArbiterStore;
import flashsale.store.ArbiterStores;
import flashsale.store.testing.RedisServer;
import flashsale.v1.EventMode;
import io.grpc.Channel;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A near region and a far region 30 ms (one way) from the arbiter, with three real Redis servers:
 * the arbiter's (which is also the CENTRAL pool, reached by each region over its own delay) and
 * one shard store per region.
 */
final class ModesFixture implements AutoCloseable {
  static final List<String> REGIONS = List.of("near", "far");
  final RedisServer central = RedisServer.start();
  final RedisServer nearShard = RedisServer.start();
  final RedisServer farShard = RedisServer.start();
  final ArbiterStore store;
  final LocalCluster cluster;
  final ManagedChannel admin;
  final BurstDriver driver;
  private final List<ManagedChannel> channels = new ArrayList<>();

  ModesFixture() throws Exception {
    store = ArbiterStores.open(central.uri());
    var stores = new ModeStores(central.port(), Map.of("near", nearShard.port(), "far", farShard.port()));
    cluster = LocalCluster.start(store, List.of(new RegionSpec("near", 0, Duration.ZERO),
        new RegionSpec("far", 30, Duration.ZERO)), 2, stores).awaitConnected(Duration.ofSeconds(30));
    Map<String, Channel> regions = new LinkedHashMap<>();
    for (String region : REGIONS) regions.put(region, channel(cluster.regionTarget(region)));
    admin = channel(cluster.arbiterTarget());
    driver = new BurstDriver(regions, Duration.ofSeconds(20));
  }

  ManagedChannel channel(String target) {
    ManagedChannel c = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  /** Fires a burst at a new event of {@code mode}; {@code leadMicros} makes regions send earlier. */
  RunResult burst(EventMode mode, String eventId, long stock, int perRegion, Map<String, Long> leadMicros)
      throws InterruptedException {
    var plan = BurstPlan.of(eventId, REGIONS, perRegion, 40_000, leadMicros, eventId.hashCode());
    return ModeRun.run(admin, driver, mode, eventId, stock, REGIONS, plan);
  }

  @Override
  public void close() {
    channels.forEach(ManagedChannel::shutdownNow);
    cluster.close();
    central.close();
    nearShard.close();
    farShard.close();
  }
}
