package flashsale.store.redis;

import io.lettuce.core.RedisURI;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a Redis URI of a node's options points at: one server ({@code redis://}, {@code rediss://},
 * lettuce's own schemes) or a Redis/Valkey Cluster given by its seeds,
 * {@code redis-cluster://[user:password@]host1:port1,host2:port2[?timeout=5s]} ({@code rediss-cluster://}
 * with TLS). Seeds share the credentials and query; a cluster has only database 0.
 *
 * @param cluster true for a cluster: the client discovers every master from any seed
 * @param seeds one URI per seed; exactly one for a single server
 */
public record RedisTarget(boolean cluster, List<RedisURI> seeds) {
  private static final Pattern CLUSTER = Pattern.compile(
      "(?<scheme>rediss?)-cluster://(?:(?<user>[^@/?]*)@)?(?<hosts>[^/?]+)(?<db>/[^?]*)?(?<query>\\?.*)?");
  private static final Pattern SERVER = Pattern.compile("rediss?://(?<authority>[^/?]*).*");

  public RedisTarget {
    seeds = List.copyOf(seeds);
    if (seeds.isEmpty()) throw new IllegalArgumentException("a Redis target needs at least one seed");
    if (!cluster && seeds.size() != 1) throw new IllegalArgumentException("one server has one URI, not " + seeds.size());
  }

  /** Parses a URI; a malformed one, or several hosts without a cluster scheme, is refused with why. */
  public static RedisTarget parse(String uri) {
    if (uri == null || uri.isBlank()) throw new IllegalArgumentException("empty Redis URI");
    Matcher m = CLUSTER.matcher(uri.strip());
    if (m.matches()) return cluster(m, uri);
    if (severalHosts(uri)) {
      throw new IllegalArgumentException("Redis URI " + redacted(uri) + " names several hosts: for a Redis Cluster write "
          + "redis-cluster://host1:port1,host2:port2 (rediss-cluster:// with TLS)");
    }
    return new RedisTarget(false, List.of(uriOf(uri, uri)));
  }

  /**
   * Lettuce's parse of {@code text}, whose errors quote the URI whole, password and all (java.net.URI
   * refuses a password with a space, {@code ^} or a bare {@code %}): said again with it redacted.
   * A password that must hold such characters is percent-encoded in the URI.
   */
  private static RedisURI uriOf(String text, String given) {
    try {
      return RedisURI.create(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Redis URI " + redacted(given) + " does not parse (percent-encode special "
          + "characters of the password): " + String.valueOf(e.getMessage()).replace(text, redacted(text))
          .replace(given, redacted(given)), null);
    }
  }

  /** A comma in the host part (after any credentials, which may hold one) of a redis:// or rediss:// URI. */
  private static boolean severalHosts(String uri) {
    Matcher m = SERVER.matcher(uri.strip());
    if (!m.matches()) return false;
    String authority = m.group("authority");
    return authority.substring(authority.lastIndexOf('@') + 1).contains(",");
  }

  private static RedisTarget cluster(Matcher m, String uri) {
    String db = m.group("db");
    if (db != null && !db.equals("/") && !db.equals("/0")) {
      throw new IllegalArgumentException("Redis URI " + redacted(uri) + ": a cluster has only database 0, not " + db);
    }
    String user = m.group("user") == null ? "" : m.group("user") + "@";
    String query = m.group("query") == null ? "" : m.group("query");
    List<RedisURI> seeds = new ArrayList<>();
    for (String host : m.group("hosts").split(",")) {
      if (host.isBlank()) throw new IllegalArgumentException("Redis URI " + redacted(uri) + " has an empty seed");
      seeds.add(uriOf(m.group("scheme") + "://" + user + host.strip() + query, uri));
    }
    return new RedisTarget(true, seeds);
  }

  /** The URI with any password replaced, for logs and errors. */
  public static String redacted(String uri) {
    // Up to the last '@': a password may hold '/' or '@' (base64 ones do), and must not show.
    return uri.replaceAll("(://[^:@/]*:).*@", "$1***@");
  }

  /** {@code host:port} of every seed, for logs. */
  public String describe() {
    return (cluster ? "cluster " : "") + String.join(",", seeds.stream().map(u -> u.getHost() + ":" + u.getPort()).toList());
  }
}
