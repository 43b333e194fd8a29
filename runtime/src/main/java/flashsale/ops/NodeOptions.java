package flashsale.ops;

import java.net.InetSocketAddress;
import picocli.CommandLine.Option;

/**
 * Options every node has beyond its own: the config file, the listen address and the log format.
 * A picocli mixin.
 */
public final class NodeOptions {
  @Option(names = ConfigDefaults.CONFIG_OPTION, paramLabel = "FILE",
      description = "Read options from this file: one 'option-name: value' (or option-name=value) per line, "
          + "e.g. 'port: 9090'. Flags win over FLASHSALE_<OPTION_NAME> environment variables, which win over the file.")
  String configFile;

  @Option(names = "--bind", paramLabel = "ADDRESS", defaultValue = "0.0.0.0",
      description = "Address the gRPC and metrics ports listen on, e.g. 127.0.0.1 (default: ${DEFAULT-VALUE}, every interface).")
  String bind;

  @Option(names = "--log-format", paramLabel = "text|json", defaultValue = "text",
      description = "Log lines as text (time, level, thread, logger, key=value) or one JSON object per line for log shippers (default: ${DEFAULT-VALUE}).")
  LogFormat logFormat;

  /** The address to listen on for {@code port}. */
  public InetSocketAddress listenAddress(int port) {
    if (port < 0 || port > 65_535) throw new IllegalArgumentException("port must be 0 to 65535, got " + port);
    InetSocketAddress address = new InetSocketAddress(bind, port);
    if (address.isUnresolved()) throw new IllegalArgumentException("--bind " + bind + ": unknown host");
    return address;
  }

  public String bind() {
    return bind;
  }

  /** Switches logging to the chosen format; call first, before the node logs. */
  public void applyLogFormat() {
    logFormat.apply();
  }
}
