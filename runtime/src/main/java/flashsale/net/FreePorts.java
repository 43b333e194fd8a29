package flashsale.net;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for a server another process binds later (a local Redis, a node of the demo or of a
 * test). A port the OS hands out for {@code bind(0)} comes from the ephemeral range, the one every
 * outgoing connection also takes its local port from: between the pick and the child's bind, a
 * client socket could take it ("Address already in use"). So a pick comes from below that range,
 * is free at the time of the pick, and is never handed out twice by this process. Other processes
 * picking at the same moment are kept apart only by a random start.
 */
public final class FreePorts {
  /** Lowest port picked: above the registered services most machines run. */
  static final int LOWEST = 20_000;
  /** Linux's default first ephemeral port; macOS and Windows start theirs at 49,152. */
  private static final int DEFAULT_EPHEMERAL_LOW = 32_768;

  private static final Set<Integer> handedOut = new HashSet<>();
  private static int next = -1;

  private FreePorts() {}

  /** A port free now, below the ephemeral range, not handed out before by this process. */
  public static synchronized int pick() throws IOException {
    int high = ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    if (high - LOWEST < 1_000) return pickEphemeral(); // a machine whose ephemeral range starts low
    int span = high - LOWEST;
    if (next < 0) next = LOWEST + ThreadLocalRandom.current().nextInt(span);
    for (int tried = 0; tried < span; tried++) {
      int port = next;
      next = next + 1 < high ? next + 1 : LOWEST;
      if (!handedOut.contains(port) && bindable(port)) {
        handedOut.add(port);
        return port;
      }
    }
    return pickEphemeral();
  }

  /** The first port of the OS's ephemeral range, as Linux says it; the Linux default elsewhere. */
  static int ephemeralLow(Path range) {
    try {
      // Read as lines: procfs reports a size of 0, which a whole-file read may trust.
      String[] bounds = Files.readAllLines(range).getFirst().trim().split("\\s+");
      return Integer.parseInt(bounds[0]);
    } catch (IOException | RuntimeException e) {
      return DEFAULT_EPHEMERAL_LOW;
    }
  }

  private static boolean bindable(int port) {
    // Both the wildcard and loopback: children bind one or the other.
    try (ServerSocket any = new ServerSocket(port)) {
      // free on every address
    } catch (IOException taken) {
      return false;
    }
    try (ServerSocket loopback = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException taken) {
      return false;
    }
  }

  private static int pickEphemeral() throws IOException {
    while (true) {
      try (ServerSocket probe = new ServerSocket(0)) {
        if (handedOut.add(probe.getLocalPort())) return probe.getLocalPort();
      }
    }
  }
}
