package flashsale.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

class ServerLimitsOptionsTest {
  @Command(name = "node")
  static final class Node {
    @Mixin
    ServerLimitsOptions limits = new ServerLimitsOptions();
  }

  private static ServerLimits parse(ServerLimits defaults, String... args) {
    Node node = new Node();
    new CommandLine(node).parseArgs(args);
    return node.limits.resolve(defaults);
  }

  @Test
  void unsetFlagsKeepTheNodesDefaults() {
    assertEquals(ServerLimits.regionDefaults(), parse(ServerLimits.regionDefaults()));
    assertEquals(ServerLimits.arbiterDefaults(), parse(ServerLimits.arbiterDefaults()));
  }

  @Test
  void givenFlagsWin() {
    ServerLimits limits = parse(ServerLimits.arbiterDefaults(), "--handshake-timeout-ms", "2000",
        "--max-connection-age-ms", "60000", "--max-concurrent-calls-per-connection", "10", "--max-header-list-bytes", "4096",
        "--keepalive-time-ms", "30000", "--max-resets-per-window", "500", "--reset-window-s", "30");
    assertEquals(new ServerLimits(2_000, 300_000, 60_000, 60_000, 5_000, 10, 4_096, 30_000, 5_000, 500, 30), limits);
  }

  @Test
  void nonsenseIsRefusedNamingTheLimit() {
    var e = assertThrows(IllegalArgumentException.class,
        () -> parse(ServerLimits.regionDefaults(), "--max-header-list-bytes", "10"));
    assertEquals("max header list must be at least 1024 bytes", e.getMessage());
  }
}
