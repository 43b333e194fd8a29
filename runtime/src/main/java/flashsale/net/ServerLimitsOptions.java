package flashsale.net;

import picocli.CommandLine.Option;

/** The {@link ServerLimits} flags both nodes' commands take (a picocli mixin); unset flags keep the node's defaults. */
public final class ServerLimitsOptions {
  @Option(names = "--handshake-timeout-ms", paramLabel = "MS",
      description = "A new socket that has not sent the HTTP/2 preface and SETTINGS within this long is closed (default 10000).")
  Long handshakeTimeoutMs;

  @Option(names = "--max-connection-idle-ms", paramLabel = "MS",
      description = "A connection without calls this long is closed; 0 never (default 300000).")
  Long maxConnectionIdleMs;

  @Option(names = "--max-connection-age-ms", paramLabel = "MS",
      description = "A connection this old is asked to go away (GOAWAY); 0 never (default: region 3600000, arbiter 0).")
  Long maxConnectionAgeMs;

  @Option(names = "--max-connection-age-grace-ms", paramLabel = "MS",
      description = "Calls open when a connection ages out get this long to end (default 60000).")
  Long maxConnectionAgeGraceMs;

  @Option(names = "--permit-keepalive-time-ms", paramLabel = "MS",
      description = "Clients may ping at most this often; more often is answered GOAWAY (default 5000).")
  Long permitKeepAliveTimeMs;

  @Option(names = "--max-concurrent-calls-per-connection", paramLabel = "N",
      description = "Most calls open at once on one connection (default: region 20000, arbiter 10000).")
  Integer maxConcurrentCallsPerConnection;

  @Option(names = "--max-header-list-bytes", paramLabel = "BYTES",
      description = "Largest header block a call may send; a larger one closes the connection (default 8192).")
  Integer maxHeaderListBytes;

  @Option(names = "--keepalive-time-ms", paramLabel = "MS",
      description = "A connection that sends nothing this long is pinged (default: region 60000, arbiter 10000).")
  Long keepAliveTimeMs;

  @Option(names = "--keepalive-timeout-ms", paramLabel = "MS",
      description = "A ping not answered within this long closes its connection (default: region 20000, arbiter 5000).")
  Long keepAliveTimeoutMs;

  @Option(names = "--max-resets-per-window", paramLabel = "N",
      description = "Most streams reset on one connection per --reset-window-s (fixed window): cancelled by the client,"
          + " or reset by the server for a protocol error; one more closes the connection with GOAWAY ENHANCE_YOUR_CALM"
          + " (HTTP/2 rapid reset); 0 never (default: region 200000, arbiter 100000).")
  Integer maxResetsPerWindow;

  @Option(names = "--reset-window-s", paramLabel = "S",
      description = "The window --max-resets-per-window counts over, in seconds (default 10).")
  Integer resetWindowSeconds;

  /** The limits given on the command line, the node's {@code defaults} for the rest. */
  public ServerLimits resolve(ServerLimits defaults) {
    return new ServerLimits(
        or(handshakeTimeoutMs, defaults.handshakeTimeoutMs()),
        or(maxConnectionIdleMs, defaults.maxConnectionIdleMs()),
        or(maxConnectionAgeMs, defaults.maxConnectionAgeMs()),
        or(maxConnectionAgeGraceMs, defaults.maxConnectionAgeGraceMs()),
        or(permitKeepAliveTimeMs, defaults.permitKeepAliveTimeMs()),
        maxConcurrentCallsPerConnection == null ? defaults.maxConcurrentCallsPerConnection() : maxConcurrentCallsPerConnection,
        maxHeaderListBytes == null ? defaults.maxHeaderListBytes() : maxHeaderListBytes,
        or(keepAliveTimeMs, defaults.keepAliveTimeMs()),
        or(keepAliveTimeoutMs, defaults.keepAliveTimeoutMs()),
        maxResetsPerWindow == null ? defaults.maxResetsPerWindow() : maxResetsPerWindow,
        resetWindowSeconds == null ? defaults.resetWindowSeconds() : resetWindowSeconds);
  }

  private static long or(Long given, long fallback) {
    return given == null ? fallback : given;
  }
}
