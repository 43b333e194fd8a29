package flashsale.sale;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The near-tie rule, shared by the arbiter that applies it and anyone who audits it. Two tickets of
 * different regions (or of two nodes of one region) are a near-tie when their uncertainty intervals overlap: neither can be shown
 * to have arrived first. Their order is then drawn from the event's seed and their users
 * ({@link #draw}, an HMAC), the same draw that orders equal stamps, so it does not depend on which
 * ticket reached the arbiter first and a user cannot improve it by sending more requests.
 * The seed is committed when the event is created ({@link #commitment}) and revealed when it ends,
 * so every draw can be recomputed from ListDecisions. Outside the band the earlier stamp wins.
 */
public final class NearTieLottery {
  private static final String DOMAIN = "flashsale-lottery-v1:";
  private static final String DRAW_DOMAIN = "flashsale-draw-v1:";
  private static final String HMAC = "HmacSHA256";
  /** A Mac is not thread-safe; the sequencer draws on one thread, auditors on any. */
  private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(NearTieLottery::newMac);

  private NearTieLottery() {}

  /**
   * True when {@code a} and {@code b} come from different streams and their intervals overlap. Two
   * nodes of one region are different streams: each has its own clock, so neither's stamp proves
   * it came first, and the lottery orders them as it orders two regions.
   */
  public static boolean nearTie(Ticket a, Ticket b) {
    long gapMicros = Math.abs(a.stampMicros() - b.stampMicros());
    if (gapMicros > a.errorBoundMicros() + b.errorBoundMicros()) return false; // the usual answer, and the cheap one
    return !(a.region().equals(b.region()) && a.node().equals(b.node()));
  }

  /**
   * The lottery's verdict for a near-tie: true when {@code a} goes first, i.e. when its draw is the
   * lower; for two tickets of one user (one draw), the earlier stamp, then the lower request id, as
   * the arbiter's merge orders them. A draw belongs to a user, not to a request: sending more
   * request ids buys no better draw.
   */
  public static boolean drawsFirst(long seed, Ticket a, Ticket b) {
    int byDraw = Long.compare(draw(seed, a), draw(seed, b));
    if (byDraw != 0) return byDraw < 0;
    int byStamp = Long.compare(a.stampMicros(), b.stampMicros());
    if (byStamp != 0) return byStamp < 0;
    int byId = a.requestId().compareTo(b.requestId());
    if (byId == 0) throw new IllegalArgumentException("one request id on both sides: " + a.requestId());
    return byId < 0;
  }

  /**
   * A ticket's draw: the first 8 bytes (big-endian, signed) of HMAC-SHA256 keyed by the seed's 8
   * bytes (big-endian) over {@code "flashsale-draw-v1:" + event_id + ":" + user_id} (UTF-8).
   * A standard function, so an auditor can recompute it with any crypto library.
   */
  public static long draw(long seed, Ticket ticket) {
    return draw(seed, ticket.eventId(), ticket.userId());
  }

  public static long draw(long seed, String eventId, String userId) {
    Mac mac = MACS.get();
    keyed(mac, seed);
    return firstLong(mac.doFinal((DRAW_DOMAIN + eventId + ":" + userId).getBytes(StandardCharsets.UTF_8)));
  }

  /** The draws of one event's users, for a caller that draws many: {@link #draw}, keyed once. */
  public static EventDraws drawsOf(long seed, String eventId) {
    return new EventDraws(seed, eventId);
  }

  /**
   * {@link #draw} for one event, with the HMAC keyed and the message's event part encoded once.
   * Not thread-safe: one per thread (the sequencer keeps one per event).
   */
  public static final class EventDraws {
    private final String eventId;
    private final Mac mac;
    private final byte[] prefix;

    private EventDraws(long seed, String eventId) {
      this.eventId = eventId;
      this.mac = newMac();
      keyed(mac, seed);
      this.prefix = (DRAW_DOMAIN + eventId + ":").getBytes(StandardCharsets.UTF_8);
    }

    public String eventId() {
      return eventId;
    }

    /** The draw of {@code userId} in this event; equal to {@code draw(seed, eventId, userId)}. */
    public long draw(String userId) {
      mac.update(prefix); // doFinal leaves the Mac keyed and empty for the next draw
      return firstLong(mac.doFinal(userId.getBytes(StandardCharsets.UTF_8)));
    }
  }

  private static Mac newMac() {
    try {
      return Mac.getInstance(HMAC);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has " + HMAC, e);
    }
  }

  private static void keyed(Mac mac, long seed) {
    try {
      mac.init(new SecretKeySpec(ByteBuffer.allocate(Long.BYTES).putLong(seed).array(), HMAC));
    } catch (InvalidKeyException e) {
      throw new IllegalStateException("an 8-byte HMAC key is always valid", e);
    }
  }

  private static long firstLong(byte[] digest) {
    return ByteBuffer.wrap(digest, 0, Long.BYTES).getLong();
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

}
