package flashsale.region;

import flashsale.sale.Identifiers;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A region node's default id: {@code host:port} of its buyer socket, which tells the nodes of one
 * region apart behind a load balancer without any setting. Chosen once the server has bound, so a
 * free port picked at start ({@code --port 0}) still yields a distinct id.
 */
final class RegionNodeId {
  private static final int MAX_LENGTH = 64;

  private RegionNodeId() {}

  /**
   * The configured id, else {@code host:port}, else (in-process, no port) {@code host:instance}.
   *
   * @param port the bound buyer port, or -1 in-process
   */
  static String resolve(String configured, int port, String instanceId) {
    if (!configured.isEmpty()) return configured;
    return derive(hostName(), port > 0 ? Integer.toString(port) : instanceId);
  }

  /** {@code host:suffix}, the host cut to fit and anything outside {@link Identifiers#ID} replaced by '-'. */
  static String derive(String host, String suffix) {
    String tail = ":" + suffix.replaceAll("[^A-Za-z0-9._:-]", "-");
    if (tail.length() > MAX_LENGTH - 1) tail = tail.substring(0, MAX_LENGTH - 1);
    String head = host.replaceAll("[^A-Za-z0-9._:-]", "-");
    if (head.isEmpty()) head = "region-node";
    head = head.substring(0, Math.min(head.length(), MAX_LENGTH - tail.length()));
    String id = head + tail;
    if (!Identifiers.ID.matcher(id).matches()) throw new IllegalStateException("derived node id '" + id + "' is invalid");
    return id;
  }

  private static String hostName() {
    String env = System.getenv("HOSTNAME");
    if (env != null && !env.isBlank()) return env;
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }
}
