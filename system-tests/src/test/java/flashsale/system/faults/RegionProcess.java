package flashsale.system.faults;

import flashsale.client.cluster.ServingHealth;
import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * One region node as a real OS process ({@code region-node.jar}) that knows the given arbiters.
 * A restart keeps the region id and the port, as a supervisor restarting a crashed node would;
 * see {@link NodeJvm} for the process itself.
 */
final class RegionProcess implements AutoCloseable {
  final String region;
  private final List<String> arbiters;
  private final NodeJvm jvm;
  /** With one, the arbiter link is mutual TLS with this region's certificate from it; else --insecure. */
  private flashsale.client.cluster.DevPki pki;

  RegionProcess(String region, List<String> arbiters) throws IOException {
    this.region = region;
    this.arbiters = List.copyOf(arbiters);
    this.jvm = new NodeJvm("region-node", "region-" + region);
  }

  String address() {
    return jvm.address();
  }

  /** The arbiter link over mutual TLS, with this region's certificate from {@code pki}. */
  RegionProcess linkTls(flashsale.client.cluster.DevPki pki) {
    this.pki = pki;
    return this;
  }

  /** Starts with the test clusters' settings: a stream silent for a lease ttl is dropped. */
  RegionProcess start() throws IOException {
    return start(List.of("--arbiter-silence-timeout-ms", Long.toString(ArbiterProcess.LEASE_TTL_MS)));
  }

  /** Starts with {@code extraArgs} after the basic flags (arbiters, port, 2 ms heartbeats). */
  RegionProcess start(List<String> extraArgs) throws IOException {
    List<String> args = new java.util.ArrayList<>(List.of("--region", region, "--port", Integer.toString(jvm.port),
        "--arbiter", String.join(",", arbiters), "--heartbeat-interval-ms", "2", "--max-pending", "1000000"));
    if (pki == null) args.add("--insecure");
    else args.addAll(pki.regionArgs(region));
    args.addAll(extraArgs);
    jvm.start(args);
    return this;
  }

  /**
   * Waits until the node's gRPC health says SERVING: warmed up and welcomed by a leader. The
   * arbiter lists a region as connected a little earlier (before the region has its welcome, or
   * while it is still warming up), and a burst sent then is refused at this node.
   */
  RegionProcess awaitServing(Duration timeout) throws InterruptedException {
    ServingHealth.await(address(), System.nanoTime() + timeout.toNanos(), "region " + region);
    return this;
  }

  /** SIGKILL: every Purchase still pending here dies with the process. */
  void kill() throws InterruptedException {
    jvm.kill();
  }

  void pause() throws IOException, InterruptedException {
    jvm.pause();
  }

  void resume() throws IOException, InterruptedException {
    jvm.resume();
  }

  boolean alive() {
    return jvm.alive();
  }

  /** Alive or not, and the last {@code logLines} lines of its log (see {@link NodeJvm#describe}). */
  String describe(int logLines) {
    return jvm.describe(logLines);
  }

  @Override
  public void close() throws InterruptedException {
    jvm.close();
  }
}
