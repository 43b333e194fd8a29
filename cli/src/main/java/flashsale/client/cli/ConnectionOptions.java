package flashsale.client.cli;

import flashsale.credentials.BearerTokens;
import flashsale.client.FlashSaleChannels;
import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.InsecureChannelCredentials;
import flashsale.client.FlashSaleException;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine.Option;

/** {@code --target} and {@code --deadline}, shared by every command that talks to one node. */
final class ConnectionOptions {
  /**
   * gRPC reports transport trouble (a host that does not resolve, a refused connection) through
   * java.util.logging as multi-line warnings with stack traces; the command prints the call's error
   * itself, in one line. Held here: the logging framework keeps loggers only weakly.
   */
  private static final java.util.logging.Logger GRPC_LOGS = java.util.logging.Logger.getLogger("io.grpc");

  static {
    GRPC_LOGS.setLevel(java.util.logging.Level.OFF);
  }

  @Option(
      names = "--target",
      required = true,
      paramLabel = "HOST:PORT",
      converter = TargetConverter.class,
      description = "Node to call: host:port, PORT alone for 127.0.0.1:PORT, any gRPC target, or inprocess:NAME for a server in this JVM.")
  String target;

  /** {@link #normalize}, its refusal told as a bad value of the option (picocli's usage error, exit 2). */
  static final class TargetConverter implements picocli.CommandLine.ITypeConverter<String> {
    @Override
    public String convert(String value) {
      try {
        return normalize(value);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** Most NOT_LEADER redirects followed for one command (a leader change mid-command may add one). */
  static final int MAX_REDIRECTS = 2;

  @Option(
      names = "--deadline",
      defaultValue = "10s",
      converter = TimeArgs.DurationConverter.class,
      description = "Deadline per call, e.g. 10s or 500ms (default: ${DEFAULT-VALUE}).")
  Duration deadline;

  @Option(names = "--tls-ca", paramLabel = "PEM", description = "Call over TLS, trusting these CA certificates "
      + "(an arbiter run with --tls-cert; without this flag the call is plaintext).")
  Path trustedCa;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "Client certificate (e.g. spiffe://flashsale/admin/ops) "
      + "presented with --tls-ca.")
  Path certificate;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "Private key of --tls-cert (PKCS#8 PEM).")
  Path privateKey;

  /** The workload the target must be when its certificate names one (the arbiter, for admin calls); null for any. */
  private flashsale.credentials.Role expectedServer;

  /** Calls the arbiter: a server whose certificate names another workload (a region) gets no token, no call. */
  void expectArbiter() {
    expectedServer = flashsale.credentials.Role.ARBITER;
  }

  @Option(names = "--token-file", paramLabel = "FILE", description = "Bearer token (first line of FILE) sent as "
      + "'authorization: Bearer'. Sent only over TLS. Without it, commands to the arbiter (event, regions, order) send "
      + "the environment variable FLASHSALE_TOKEN; commands to a region never do.")
  Path tokenFile;

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
  <T> T withChannel(Function<io.grpc.Channel, T> body) {
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

  private <T> T withChannel(String target, Function<io.grpc.Channel, T> body) {
    ManagedChannel channel;
    try {
      channel = FlashSaleChannels.forTarget(target, credentials());
    } catch (io.grpc.ManagedChannelRegistry.ProviderNotFoundException e) {
      if (trustedCa == null) throw new IllegalArgumentException("cannot call " + target + ": " + e.getMessage(), e);
      // gRPC parses the TLS files only here, and reports a bad one as no usable transport.
      throw new IllegalArgumentException("cannot use the TLS files (--tls-ca " + trustedCa + ", --tls-cert "
          + certificate + ", --tls-key " + privateKey + "): " + e.getMessage(), e);
    }
    try {
      String token = token();
      return body.apply(token == null ? channel : ClientInterceptors.intercept(channel, bearer(token)));
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private ChannelCredentials credentials() {
    if (trustedCa == null) {
      if (certificate != null || privateKey != null) {
        throw new IllegalArgumentException("--tls-cert and --tls-key need --tls-ca (the CA that signs the node)");
      }
      return InsecureChannelCredentials.create();
    }
    if ((certificate == null) != (privateKey == null)) throw new IllegalArgumentException("give --tls-cert and --tls-key together");
    try {
      TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
      if (expectedServer == null) {
        tls.trustManager(trustedCa.toFile());
      } else {
        tls.trustManager(flashsale.credentials.ServerRoleCheck.ifNamed(expectedServer).trustManager(trustedCa));
      }
      if (certificate != null) tls.keyManager(certificate.toFile(), privateKey.toFile());
      return tls.build();
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot read the TLS files: " + e.getMessage(), e);
    }
  }

  private String token() {
    String token = null;
    try {
      if (tokenFile != null) {
        token = Files.readAllLines(tokenFile).stream().findFirst().orElse("").strip();
        if (token.isEmpty()) throw new IllegalArgumentException("--token-file " + tokenFile + ": its first line is empty");
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read --token-file " + tokenFile + ": " + e.getMessage(), e);
    }
    // The environment's token is an operator's for the arbiter: a region node neither needs it nor
    // should see it, and one on a plaintext port would make every buyer command refuse to run.
    if (token == null && expectedServer == flashsale.credentials.Role.ARBITER) token = System.getenv("FLASHSALE_TOKEN");
    if (token == null || token.isBlank()) return null;
    if (trustedCa == null) throw new IllegalArgumentException("a bearer token is sent only over TLS: give --tls-ca too");
    return token;
  }

  private static ClientInterceptor bearer(String token) {
    return MetadataUtils.newAttachHeadersInterceptor(BearerTokens.headers(token));
  }
}
