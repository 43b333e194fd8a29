package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.Identifiers;
import org.junit.jupiter.api.Test;

/** A region node's id: configured and checked, or derived as host:port that the arbiter accepts. */
class RegionNodeIdTest {

  @Test
  void aConfiguredIdIsKeptAndANonsenseOneIsRefusedNamingTheSetting() {
    assertEquals("eu-2", RegionNodeId.resolve(RegionConfig.builder("eu").nodeId("eu-2").build().nodeId(), 50062, "x"));
    var bad = assertThrows(IllegalArgumentException.class, () -> RegionConfig.builder("eu").nodeId("eu/2").build());
    assertTrue(bad.getMessage().contains("node id"), bad.getMessage());
  }

  @Test
  void theDefaultIsHostAndPortMadeValid() {
    assertEquals("shop-eu-7.example:50061", RegionNodeId.derive("shop-eu-7.example", "50061"));
    assertEquals("host-with-space:1", RegionNodeId.derive("host with space", "1"));
    String longHost = "h".repeat(100);
    String id = RegionNodeId.derive(longHost, "50061");
    assertTrue(id.endsWith(":50061") && Identifiers.ID.matcher(id).matches(), id);
    String derived = RegionNodeId.resolve("", 50061, "instance");
    assertTrue(derived.endsWith(":50061") && Identifiers.ID.matcher(derived).matches(), derived);
  }
}
