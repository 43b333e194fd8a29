package flashsale.client.cli;

import flashsale.client.FlashSaleChannels;
import flashsale.client.FlashSaleException;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** {@code --target} and {@code --deadline}, shared by every command that talks to one node. */
final class ConnectionOptions {
  @Option(
      names = "--target",
      required = true,
      paramLabel = "HOST:PORT",
      description = "Node to call: host:port, PORT alone for 127.0.0.1:PORT, any gRPC target, or inprocess:NAME for a server in this JVM.")
  void target(String value) {
    target = normalize(value);
  }

  String target;

  /** Most NOT_LEADER redirects followed for one command (a leader change mid-command may add one). */
  static final int MAX_REDIRECTS = 2;

  @Option(
      names = "--deadline",
      defaultValue = "10s",
      converter = TimeArgs.DurationConverter.class,
      description = "Deadline per call, e.g. 10s or 500ms (default: ${DEFAULT-VALUE}).")
  Duration deadline;

  /**
   * {@code PORT} or {@code :PORT} means this machine's loopback (gRPC would read a bare number as a
   * host name and dial port 443); anything else is passed to gRPC as it is.
   */
  static String normalize(String value) {
    String v = value.strip();
    if (v.matches(":?\\d{1,5}")) {
      int port = Integer.parseInt(v.replace(":", ""));
      if (port < 1 || port > 65_535) throw new IllegalArgumentException("--target port must be 1 to 65535, got " + v);
      return "127.0.0.1:" + port;
    }
    return v;
  }

  /**
   * Opens a channel to the target, runs {@code body} and always closes the channel. A standby
   * arbiter's NOT_LEADER answer names the leader; the call is made again there.
   */
  <T> T withChannel(Function<ManagedChannel, T> body) {
    String at = target;
    for (int redirects = 0; ; redirects++) {
      try {
        return withChannel(at, body);
      } catch (FlashSaleException e) {
        var leader = e.reason().filter("NOT_LEADER"::equals).flatMap(r -> e.metadata("leader"));
        if (leader.isEmpty() || leader.get().equals(at) || redirects >= MAX_REDIRECTS) throw e;
        at = leader.get();
      }
    }
  }

  private static <T> T withChannel(String target, Function<ManagedChannel, T> body) {
    ManagedChannel channel = FlashSaleChannels.forTarget(target);
    try {
      return body.apply(channel);
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
