package flashsale.client.lab;

import flashsale.client.cluster.TcpDelayProxy;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code flashsale delay-proxy}: a loopback TCP link with a one-way delay, for trying the system
 * with latency where {@code tc netem} is not available (e.g. a Redis replica "in another zone":
 * {@code redis-server --replicaof 127.0.0.1 <port>}).
 */
@Command(
    name = "delay-proxy",
    description = {
      "Forward loopback TCP connections from --port to --to, delaying every byte by --delay-ms each way.",
      "Runs until stopped (Ctrl-C). E.g. a replica 5 ms from its primary:",
      "  flashsale delay-proxy --port 6392 --to 6390 --delay-ms 5 &",
      "  redis-server --port 6391 --replicaof 127.0.0.1 6392"
    })
final class DelayProxyCommand implements Callable<Integer> {
  @Option(names = "--port", required = true, description = "Loopback port to listen on.")
  int port;

  @Option(names = "--to", required = true, paramLabel = "PORT", description = "Loopback port to forward to.")
  int targetPort;

  @Option(names = "--delay-ms", required = true, description = "One-way delay in each direction, ms.")
  long delayMs;

  @Override
  public Integer call() throws Exception {
    if (delayMs < 0) throw new IllegalArgumentException("--delay-ms must be >= 0, got " + delayMs);
    try (TcpDelayProxy proxy = new TcpDelayProxy(port, targetPort, delayMs)) {
      System.out.printf("delay-proxy: 127.0.0.1:%d -> 127.0.0.1:%d, %d ms each way; Ctrl-C stops it%n", proxy.port(),
          targetPort, delayMs);
      new CountDownLatch(1).await();
    }
    return 0;
  }
}
