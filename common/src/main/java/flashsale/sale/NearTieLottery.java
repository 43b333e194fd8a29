package flashsale.sale;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The near-tie rule, shared by the arbiter that applies it and anyone who audits it. Two tickets of
 * different regions are a near-tie when their uncertainty intervals overlap: neither can be shown
 * to have arrived first. Their order is then drawn from the event's seed and their request ids
 * ({@link #draw}), the same keyed hash that orders equal stamps, so the draw does not depend on
 * which ticket reached the arbiter first.
 * The seed is committed when the event is created ({@link #commitment}) and revealed when it ends,
 * so every draw can be recomputed from ListDecisions. Outside the band the earlier stamp wins.
 */
public final class NearTieLottery {
  private static final String DOMAIN = "flashsale-lottery-v1:";

  private NearTieLottery() {}

  /** True when {@code a} and {@code b} come from different regions and their intervals overlap. */
  public static boolean nearTie(Ticket a, Ticket b) {
    if (a.region().equals(b.region())) return false;
    long gapMicros = Math.abs(a.stampMicros() - b.stampMicros());
    return gapMicros <= a.errorBoundMicros() + b.errorBoundMicros();
  }

  /**
   * The lottery's verdict for a near-tie: true when {@code a} goes first, i.e. when its draw is the
   * lower. Each ticket's draw is a hash of its request id keyed by the seed, so every pair is a fair
   * coin, the verdict does not depend on which ticket reached the arbiter first, and the draws of
   * a group of mutually overlapping tickets order it consistently.
   */
  public static boolean drawsFirst(long seed, Ticket a, Ticket b) {
    int byDraw = Long.compare(draw(seed, a.requestId()), draw(seed, b.requestId()));
    if (byDraw != 0) return byDraw < 0;
    int byId = a.requestId().compareTo(b.requestId());
    if (byId == 0) throw new IllegalArgumentException("one request id on both sides: " + a.requestId());
    return byId < 0;
  }

  /**
   * A ticket's draw: a 64-bit hash of its request id keyed by the seed (splitmix64 over the id's
   * UTF-16 code units, four per 64-bit chunk); a fixed function, re-implementable by an auditor.
   */
  public static long draw(long seed, String requestId) {
    long h = mix(seed ^ 0x9E3779B97F4A7C15L);
    long chunk = 0;
    int n = requestId.length();
    for (int i = 0; i < n; i++) {
      chunk = (chunk << 16) | requestId.charAt(i);
      if ((i & 3) == 3) {
        h = mix(h ^ chunk);
        chunk = 0;
      }
    }
    return mix(h ^ chunk ^ ((long) n << 48) ^ seed);
  }

  /** The seed as published once the event ends: 16 lowercase hex digits. */
  public static String seedHex(long seed) {
    return HexFormat.of().toHexDigits(seed);
  }

  /** Lowercase hex SHA-256 of {@code "flashsale-lottery-v1:" + eventId + ":" + seedHex(seed)}. */
  public static String commitment(String eventId, long seed) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((DOMAIN + eventId + ":" + seedHex(seed)).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /** The splitmix64 finalizer. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
