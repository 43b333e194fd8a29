package flashsale.arbiter;

import flashsale.arbiter.shard.ShardOptions;
import flashsale.store.ArbiterStores;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Command line of the arbiter node. */
@Command(
    name = "arbiter-node",
    mixinStandardHelpOptions = true,
    description = "Orders every region's stamped purchase tickets and decides them against stock.")
public final class ArbiterMain implements Callable<Integer> {

  @Option(names = "--node-id", description = "Name of this arbiter in logs and the welcome message (default: ${DEFAULT-VALUE}).")
  String nodeId = "arbiter-1";

  @Option(names = "--port", description = "gRPC port (default: ${DEFAULT-VALUE}).")
  int port = 9090;

  @Option(names = "--redis", description = "Redis URI, e.g. redis://127.0.0.1:6379. Without it the store is in memory and dies with the process.")
  String redisUri;

  @Option(names = "--max-clock-skew-ms", description = "A region whose clock is provably further off than this is not ranked (default: ${DEFAULT-VALUE}).")
  long maxClockSkewMs = 5;

  @Option(names = "--max-batch-size", description = "Most decisions persisted in one store call (default: ${DEFAULT-VALUE}).")
  int maxBatchSize = 1024;

  @Option(names = "--shard-redis", paramLabel = "REGION=URI",
      description = "A region's shard Redis, for rebalancing SHARDED events; repeat per region.")
  Map<String, String> shardRedis = Map.of();

  @Override
  public Integer call() throws Exception {
    var config = new ArbiterConfig(nodeId, port, redisUri, TimeUnit.MILLISECONDS.toMicros(maxClockSkewMs), maxBatchSize, 4 << 20);
    var node =
        new ArbiterNode(
            config,
            NettyServerBuilder.forPort(port).permitKeepAliveTime(5, TimeUnit.SECONDS).permitKeepAliveWithoutCalls(true),
            ArbiterStores.open(redisUri),
            Clock.systemUTC(),
            ShardOptions.of(shardRedis));
    node.start();
    Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "arbiter-shutdown"));
    node.blockUntilShutdown();
    return 0;
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ArbiterMain()).execute(args));
  }
}
