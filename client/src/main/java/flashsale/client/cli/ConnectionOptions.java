package flashsale.client.cli;

import flashsale.client.FlashSaleChannels;
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
      description = "Node to call: host:port, any gRPC target, or inprocess:NAME for a server in this JVM.")
  String target;

  @Option(
      names = "--deadline",
      defaultValue = "10s",
      converter = TimeArgs.DurationConverter.class,
      description = "Deadline per call, e.g. 10s or 500ms (default: ${DEFAULT-VALUE}).")
  Duration deadline;

  /** Opens a channel to the target, runs {@code body} and always closes the channel. */
  <T> T withChannel(Function<ManagedChannel, T> body) {
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
