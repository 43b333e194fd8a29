package flashsale.shard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShardHomeTest {
  @Test
  void stableAndRoughlyEven() {
    List<String> regions = List.of("eu", "us", "ap");
    Map<String, Integer> counts = new HashMap<>();
    for (int i = 0; i < 3000; i++) counts.merge(ShardHome.of("user-" + i, regions), 1, Integer::sum);
    counts.values().forEach(n -> assertTrue(n > 800 && n < 1200, "uneven homes " + counts));
    assertEquals(ShardHome.of("alice", regions), ShardHome.of("alice", List.of("eu", "us", "ap")));
  }
}
