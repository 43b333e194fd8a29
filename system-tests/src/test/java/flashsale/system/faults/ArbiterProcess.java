package flashsale.system.faults;

import flashsale.client.cluster.DevPki;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One arbiter node as a real OS process ({@code arbiter-node.jar}) with the test clusters' lease
 * and region timeout settings; see {@link NodeJvm} for the process itself.
 */
final class ArbiterProcess implements AutoCloseable {
  /** Lease and timeout settings of every test cluster (see the report for the defaults). */
  static final long LEASE_TTL_MS = 1_000;
  static final long LEASE_RENEW_MS = 250;
  static final long REGION_TIMEOUT_MS = 3_000;

  final String nodeId;
  final int port;
  private final String redisUri;
  private final long regionTimeoutMs;
  /** With one, the node speaks mutual TLS (its own certificate, clients' checked against the CA); else --insecure. */
  private final DevPki pki;
  private final NodeJvm jvm;
  /** Leadership split into this many partitions ({@code --partitions}). */
  private int partitions = 1;

  ArbiterProcess(String nodeId, String redisUri) throws IOException {
    this(nodeId, redisUri, REGION_TIMEOUT_MS);
  }

  /** @param regionTimeoutMs a silent region is left out of the frontier after this; 0 never */
  ArbiterProcess(String nodeId, String redisUri, long regionTimeoutMs) throws IOException {
    this(nodeId, redisUri, regionTimeoutMs, null);
  }

  /** @param pki the CA this node's certificate comes from (mutual TLS), or null for --insecure */
  ArbiterProcess(String nodeId, String redisUri, long regionTimeoutMs, DevPki pki) throws IOException {
    this.pki = pki;
    this.nodeId = nodeId;
    this.redisUri = redisUri;
    this.regionTimeoutMs = regionTimeoutMs;
    this.jvm = new NodeJvm("arbiter-node", nodeId);
    this.port = jvm.port;
  }

  /** Starts with leadership split into {@code count} partitions. */
  ArbiterProcess partitions(int count) {
    this.partitions = count;
    return this;
  }

  String address() {
    return jvm.address();
  }

  ArbiterProcess start() throws IOException {
    List<String> args = new ArrayList<>(List.of("--node-id", nodeId, "--port", Integer.toString(port), "--redis", redisUri,
        "--advertise", address(), "--lease-ttl-ms", Long.toString(LEASE_TTL_MS),
        "--lease-renew-ms", Long.toString(LEASE_RENEW_MS), "--region-timeout-ms", Long.toString(regionTimeoutMs)));
    if (partitions != 1) args.addAll(List.of("--partitions", Integer.toString(partitions)));
    // The fault tests create well over the default burst of events as one admin within seconds, and
    // the quota is the cluster's (in Redis), not each arbiter's: room enough, the quota still on.
    args.addAll(List.of("--admin-events-burst", "1000"));
    if (pki == null) args.add("--insecure");
    else args.addAll(pki.arbiterArgs(nodeId));
    jvm.start(args);
    return this;
  }

  void kill() throws InterruptedException {
    jvm.kill();
  }

  void pause() throws IOException, InterruptedException {
    jvm.pause();
  }

  void resume() throws IOException, InterruptedException {
    jvm.resume();
  }

  long pid() {
    return jvm.pid();
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
