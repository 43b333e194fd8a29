package flashsale.client.wire;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Splits one direction of an HTTP/2 connection into frames, fed read by read. Each frame carries
 * the times of the reads that held its first and its last byte, so a frame split across reads is
 * dated both by when it started to arrive and by when all of it had. Pure: no I/O, no clock.
 *
 * <p>Never throws on bad input: bytes that are not HTTP/2 (a wrong preface, a frame larger than
 * {@link #MAX_FRAME_BYTES}) make the reader {@link #broken()} and it ignores everything after.
 */
public final class Http2FrameReader {
  /** The client connection preface (RFC 9113 §3.4). */
  public static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
  public static final int FRAME_HEADER_BYTES = 9;
  /** Largest frame kept; HTTP/2 allows 16 MiB, gRPC peers use 16 KiB unless told otherwise. */
  public static final int MAX_FRAME_BYTES = 1 << 20;

  /**
   * One whole frame; {@code payload} still holds any padding. {@code firstByteMicros} is the time of
   * the read that carried its first byte, {@code lastByteMicros} of the read that completed it.
   */
  public record Frame(int type, int flags, int streamId, byte[] payload, long firstByteMicros, long lastByteMicros) {}

  /** Receives frames in wire order. */
  @FunctionalInterface
  public interface Listener {
    void frame(Frame frame);
  }

  private final Listener listener;
  private int prefaceLeft;
  private final byte[] header = new byte[FRAME_HEADER_BYTES];
  private int headerFilled;
  private long frameStartMicros;
  /** The read being fed. */
  private long readMicros;
  private byte[] payload;
  private int payloadFilled;
  private String brokenReason;

  /**
   * @param expectPreface true for the client-to-server direction, which opens with the preface
   */
  public Http2FrameReader(boolean expectPreface, Listener listener) {
    this.listener = listener;
    this.prefaceLeft = expectPreface ? PREFACE.length : 0;
  }

  /** Why parsing stopped, or null while it runs. */
  public String broken() {
    return brokenReason;
  }

  /** Feeds the bytes of one socket read, read at {@code readMicros}. */
  public void feed(byte[] bytes, int offset, int length, long readMicros) {
    this.readMicros = readMicros;
    int end = offset + length;
    int i = offset;
    while (i < end && brokenReason == null) {
      if (prefaceLeft > 0) {
        int at = PREFACE.length - prefaceLeft;
        if (bytes[i] != PREFACE[at]) {
          brokenReason = "not an HTTP/2 preface at byte " + at;
          return;
        }
        prefaceLeft--;
        i++;
      } else if (payload == null) {
        if (headerFilled == 0) frameStartMicros = readMicros;
        int n = Math.min(FRAME_HEADER_BYTES - headerFilled, end - i);
        System.arraycopy(bytes, i, header, headerFilled, n);
        headerFilled += n;
        i += n;
        if (headerFilled == FRAME_HEADER_BYTES) startPayload();
      } else {
        int n = Math.min(payload.length - payloadFilled, end - i);
        System.arraycopy(bytes, i, payload, payloadFilled, n);
        payloadFilled += n;
        i += n;
        if (payloadFilled == payload.length) emit();
      }
    }
  }

  private void startPayload() {
    int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
    if (length > MAX_FRAME_BYTES) {
      brokenReason = "frame of " + length + " bytes exceeds " + MAX_FRAME_BYTES;
      return;
    }
    payload = new byte[length];
    payloadFilled = 0;
    if (length == 0) emit();
  }

  private void emit() {
    int type = header[3] & 0xff;
    int flags = header[4] & 0xff;
    int streamId = ((header[5] & 0x7f) << 24) | ((header[6] & 0xff) << 16) | ((header[7] & 0xff) << 8) | (header[8] & 0xff);
    Frame frame = new Frame(type, flags, streamId, payload, frameStartMicros, readMicros);
    payload = null;
    headerFilled = 0;
    Arrays.fill(header, (byte) 0);
    listener.frame(frame);
  }
}
