package flashsale.sale;

/**
 * Names one ordered stream of stamps: a region node. A region may run several nodes, each with its
 * own clock and its own strictly increasing stamps; the arbiter keeps a watermark and a queue per
 * stream, keyed {@code region} for a region's unnamed node and {@code region/node} for a named one.
 * Ids never hold a slash ({@link Identifiers#ID}), so the key is unambiguous.
 */
public final class StreamSource {
  private static final char SEPARATOR = '/';

  private StreamSource() {}

  /** The key of node {@code node} of {@code region}; just {@code region} when {@code node} is empty. */
  public static String key(String region, String node) {
    return node.isEmpty() ? region : region + SEPARATOR + node;
  }

  /** The region of a key made by {@link #key}. */
  public static String regionOf(String key) {
    int slash = key.indexOf(SEPARATOR);
    return slash < 0 ? key : key.substring(0, slash);
  }

  /** The node of a key made by {@link #key}; empty for a region's unnamed node. */
  public static String nodeOf(String key) {
    int slash = key.indexOf(SEPARATOR);
    return slash < 0 ? "" : key.substring(slash + 1);
  }
}
