package flashsale.system.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.ModeStores;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.store.ArbiterStores;
import flashsale.store.testing.RedisServer;
import io.lettuce.core.RedisClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A CENTRAL pool its Redis loses before anybody bought from it, seen by grpc-js on Node.js, a
 * client that shares nothing with the Java stack: the arbiter says it opened the pool when it
 * created the event, and after the loss the region answers DATA_LOSS POOL_LOST rather than
 * starting the pool again at its full units, and so does the admin's GetEvent.
 */
class PoolLossCrossLanguageTest {
  @Test
  void grpcJsSeesALostPoolRefusedNotSoldAgain() throws Exception {
    OutsideBurstClient node = OutsideBurstClient.grpcJs();
    Path rpcRoot = OutsideBurstClient.rpcProtoRoot();
    try (RedisServer redis = RedisServer.start();
        LocalCluster cluster = LocalCluster.start(ArbiterStores.open(redis.uri()),
            List.of(new RegionSpec("lisbon", 0, Duration.ZERO)), 2, new ModeStores(redis.port(), Map.of()))
            .awaitServing(Duration.ofSeconds(60))) {
      String[] target = {"127.0.0.1:" + cluster.arbiter().port(), "127.0.0.1:" + cluster.region("lisbon").port(),
          "lisbon", "boots", node.protoRoot().toString(), rpcRoot.toAbsolutePath().toString()};
      JsonObject created = JsonParser.parseString(node.node("poolloss.js", Duration.ofSeconds(60), args("create", target)))
          .getAsJsonObject();
      assertEquals(true, created.get("createdOpened").getAsBoolean(), created.toString());
      assertEquals(true, created.get("readOpened").getAsBoolean(), created.toString());
      assertEquals("2", created.get("remaining").getAsString(), created.toString());

      try (RedisClient client = RedisClient.create(redis.uri()); var c = client.connect()) {
        List<String> pool = c.sync().keys("fs:{boots}:central*");
        assertTrue(!pool.isEmpty(), "the pool's keys");
        c.sync().del(pool.toArray(String[]::new)); // lost (evicted, flushed by mistake) before any sale
      }

      JsonObject after = JsonParser.parseString(node.node("poolloss.js", Duration.ofSeconds(60), args("buy", target)))
          .getAsJsonObject();
      JsonObject bought = after.getAsJsonObject("afterLoss");
      assertTrue(bought.has("code"), "refused, not sold from a pool started again: " + after);
      assertEquals(15, bought.get("code").getAsInt(), "DATA_LOSS, not its 2 units again: " + after);
      assertEquals("POOL_LOST", bought.get("reason").getAsString(), after.toString());
      JsonObject read = after.getAsJsonObject("eventAfterLoss");
      assertEquals(15, read.get("code").getAsInt(), after.toString());
      assertEquals("POOL_LOST", read.get("reason").getAsString(), after.toString());
      System.out.println("grpc-js after the loss: " + after);
    }
  }

  private static String[] args(String step, String[] target) {
    String[] all = new String[target.length + 1];
    all[0] = step;
    System.arraycopy(target, 0, all, 1, target.length);
    return all;
  }
}
