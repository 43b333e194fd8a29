package flashsale.store.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.SslOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The options every Redis client of a node starts from: with {@link #trustCa} set, TLS connections
 * ({@code rediss://user:password@host:port}, Redis 6+ {@code tls-port} with an ACL user) verify the
 * server's certificate against that CA instead of the JDK's default CAs. Set once at start-up from
 * {@code --redis-ca}, before any store or lease connects.
 */
public final class RedisClients {
  private static volatile Path trustedCa;

  private RedisClients() {}

  /** Trust {@code pemFile}'s CA certificates for every {@code rediss://} connection from now on. */
  public static void trustCa(Path pemFile) {
    if (pemFile != null && !Files.isReadable(pemFile)) throw new IllegalArgumentException("cannot read --redis-ca " + pemFile);
    trustedCa = pemFile;
  }

  /** {@code options} with this process's TLS trust added (a no-op for plain {@code redis://}). */
  public static ClientOptions.Builder withTls(ClientOptions.Builder options) {
    Path ca = trustedCa;
    if (ca != null) options.sslOptions(SslOptions.builder().jdkSslProvider().trustManager(ca.toFile()).build());
    return options;
  }
}
