package flashsale.region.modes;

import flashsale.region.core.BuyRequest;
import flashsale.region.grpc.RegionLoop;
import flashsale.sale.EventSpec;
import flashsale.shard.ShardHome;
import flashsale.store.ShardStore;
import java.util.List;
import java.util.stream.IntStream;

/**
 * One SHARDED region ("eu") in process for the sellers' tests: its loop and sellers on {@code store},
 * reporting to {@code arbiter}, purchases placed on the loop as the front door places them.
 */
final class ShardRegion implements AutoCloseable {
  static final String REGION = "eu";
  /** The node of the region this one is, as its shard reports name it. */
  static final String NODE_ID = "eu-a";
  private static final long ANSWER_MS = 5_000;

  final RegionLoop loop = new RegionLoop(REGION);
  final ModeSellers modes;
  private final ShardArbiterStub arbiter;

  ShardRegion(ShardStore store, ShardArbiterStub arbiter, long holdMs, long reportIntervalMs) throws Exception {
    this.arbiter = arbiter;
    ModesConfig config = new ModesConfig(null, null, holdMs, reportIntervalMs, flashsale.store.ReplicaAcks.NONE);
    modes = loop.call(() -> new ModeSellers(REGION, () -> NODE_ID, config, null, store, loop,
        eventId -> arbiter.channel()), ANSWER_MS);
  }

  /** The first {@code count} of user-0, user-1, ... whose home region for {@code spec} is this one. */
  static List<String> homeUsers(EventSpec spec, int count) {
    return IntStream.range(0, 1_000).mapToObj(i -> "user-" + i)
        .filter(u -> ShardHome.of(u, spec.regions()).equals(REGION)).limit(count).toList();
  }

  PurchaseAnswer buy(EventSpec spec, BuyRequest buy, long stampMicros) {
    PurchaseAnswer answer = new PurchaseAnswer();
    loop.execute(() -> modes.purchase(spec, buy, stampMicros, answer));
    return answer;
  }

  @Override
  public void close() throws Exception {
    loop.call(() -> {
      modes.close(flashsale.region.core.Failure.of(flashsale.sale.ErrorReason.SHUTTING_DOWN, "test over"));
      return null;
    }, ANSWER_MS);
    arbiter.close();
    loop.shutdown();
  }
}
