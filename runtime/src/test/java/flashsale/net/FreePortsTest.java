package flashsale.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreePortsTest {
  @Test
  void picksAreFreeBelowTheEphemeralRangeAndNeverHandedOutTwice() throws Exception {
    int ephemeralLow = FreePorts.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    Set<Integer> picked = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = FreePorts.pick();
      assertTrue(port >= FreePorts.LOWEST && port < ephemeralLow, port + " outside [20000, " + ephemeralLow + ")");
      assertTrue(picked.add(port), port + " handed out twice");
    }
    int port = FreePorts.pick();
    try (ServerSocket server = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      assertEquals(port, server.getLocalPort(), "free when picked");
    }
  }

  @Test
  void aPortSomeoneHoldsIsPassedOver() throws Exception {
    int before = FreePorts.pick();
    int taken = before + 1 < FreePorts.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))
        ? before + 1 : FreePorts.LOWEST; // the next one tried
    try (ServerSocket holder = new ServerSocket(taken)) {
      assertNotEquals(taken, FreePorts.pick());
    }
  }

  @Test
  void theEphemeralRangeIsReadWhereLinuxSaysAndDefaultsElsewhere(@TempDir Path dir) throws Exception {
    Path range = dir.resolve("ip_local_port_range");
    Files.writeString(range, "40000\t60999\n");
    assertEquals(40_000, FreePorts.ephemeralLow(range));
    assertEquals(32_768, FreePorts.ephemeralLow(dir.resolve("absent")));
    Files.writeString(range, "garbage");
    assertEquals(32_768, FreePorts.ephemeralLow(range));
  }
}
