package flashsale.client.wire;

import flashsale.client.wire.Http2FrameReader.Frame;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One direction of a gRPC-over-HTTP/2 connection, fed read by read: reassembles header blocks
 * (HEADERS + CONTINUATION, padding and priority stripped, HPACK decoded with the connection's
 * dynamic table) and gRPC messages (DATA frames, padding stripped, the 5-byte length prefix
 * removed), per stream. Each stream is dated by the read that carried the first byte of its first
 * HEADERS frame (when it started on the wire), each message by the read that carried its last byte
 * (when all of it had arrived), and a stream's end by the read that carried it. Pure: no I/O, no
 * clock.
 *
 * <p>Defensive: malformed frames or an undecodable header block stop this decoder
 * ({@link #broken()}); it never throws into its caller.
 */
public final class GrpcStreamDecoder {
  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int RST_STREAM = 0x3;
  static final int CONTINUATION = 0x9;
  static final int FLAG_END_STREAM = 0x1;
  static final int FLAG_END_HEADERS = 0x4;
  static final int FLAG_PADDED = 0x8;
  static final int FLAG_PRIORITY = 0x20;
  /** Larger gRPC messages are skipped; a Purchase is a few short strings. */
  static final int MAX_MESSAGE_BYTES = 4 << 20;

  /** What the decoder found, in wire order. */
  public interface Listener {
    /** A decoded header block (request headers, response headers or trailers). */
    default void headers(int streamId, Map<String, String> headers, boolean endStream, long streamStartMicros) {}

    /**
     * A whole gRPC message of the stream, without its 5-byte prefix; {@code completedMicros} is the
     * time of the read that carried its last byte.
     */
    default void message(int streamId, byte[] message, boolean compressed, long streamStartMicros, long completedMicros) {}

    /** The stream's sender ended it (END_STREAM) in a read at {@code endedMicros}, after its messages. */
    default void ended(int streamId, long endedMicros) {}

    /** The peer reset the stream (RST_STREAM): nothing more will come on it. */
    default void reset(int streamId, long errorCode) {}

    /** A frame that is neither headers nor data (SETTINGS, PING, WINDOW_UPDATE, GOAWAY, ...). */
    default void control(Frame frame) {}
  }

  private static final class Stream {
    final long startMicros;
    final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    boolean skipping;

    Stream(long startMicros) {
      this.startMicros = startMicros;
    }
  }

  private final Http2FrameReader frames;
  private final Listener listener;
  private final DefaultHttp2HeadersDecoder hpack = new DefaultHttp2HeadersDecoder(false, 1L << 20);
  private final Map<Integer, Stream> streams = new HashMap<>();
  private ByteArrayOutputStream headerBlock;
  private int headerStream;
  private boolean headerEndStream;
  private String brokenReason;

  /** @param clientToServer true for the direction that opens with the connection preface */
  public GrpcStreamDecoder(boolean clientToServer, Listener listener) {
    this.listener = listener;
    this.frames = new Http2FrameReader(clientToServer, this::onFrame);
  }

  /** Feeds the bytes of one socket read, read at {@code readMicros}. Never throws. */
  public void feed(byte[] bytes, int offset, int length, long readMicros) {
    if (broken() != null) return;
    try {
      frames.feed(bytes, offset, length, readMicros);
    } catch (RuntimeException e) { // a listener's or the HPACK decoder's surprise: stop parsing, keep the bytes flowing
      brokenReason = "decoder failed: " + e;
    }
  }

  /** Why decoding stopped, or null while it runs. */
  public String broken() {
    return brokenReason != null ? brokenReason : frames.broken();
  }

  /** Streams opened and not yet ended; bounded by what the peer keeps open. */
  public int openStreams() {
    return streams.size();
  }

  private void onFrame(Frame f) {
    if (brokenReason != null) return;
    if (headerBlock != null && (f.type() != CONTINUATION || f.streamId() != headerStream)) {
      brokenReason = "header block of stream " + headerStream + " interrupted by frame type " + f.type();
      return;
    }
    switch (f.type()) {
      case HEADERS -> onHeaders(f);
      case CONTINUATION -> onContinuation(f);
      case DATA -> onData(f);
      case RST_STREAM -> {
        streams.remove(f.streamId());
        long code = f.payload().length == 4 ? java.nio.ByteBuffer.wrap(f.payload()).getInt() & 0xffffffffL : -1;
        listener.reset(f.streamId(), code);
      }
      default -> listener.control(f);
    }
  }

  private void onHeaders(Frame f) {
    byte[] p = f.payload();
    int start = 0;
    int padding = 0;
    if ((f.flags() & FLAG_PADDED) != 0) {
      if (p.length < 1) {
        brokenReason = "padded HEADERS without a pad length";
        return;
      }
      padding = p[0] & 0xff;
      start = 1;
    }
    if ((f.flags() & FLAG_PRIORITY) != 0) start += 5;
    int end = p.length - padding;
    if (end < start) {
      brokenReason = "HEADERS padding exceeds its frame";
      return;
    }
    streams.computeIfAbsent(f.streamId(), id -> new Stream(f.firstByteMicros()));
    headerBlock = new ByteArrayOutputStream();
    headerBlock.write(p, start, end - start);
    headerStream = f.streamId();
    headerEndStream = (f.flags() & FLAG_END_STREAM) != 0;
    if ((f.flags() & FLAG_END_HEADERS) != 0) endHeaders();
  }

  private void onContinuation(Frame f) {
    if (headerBlock == null) {
      brokenReason = "CONTINUATION without HEADERS on stream " + f.streamId();
      return;
    }
    headerBlock.write(f.payload(), 0, f.payload().length);
    if ((f.flags() & FLAG_END_HEADERS) != 0) endHeaders();
  }

  private void endHeaders() {
    byte[] block = headerBlock.toByteArray();
    headerBlock = null;
    Map<String, String> decoded = new LinkedHashMap<>();
    try {
      Http2Headers headers = hpack.decodeHeaders(headerStream, Unpooled.wrappedBuffer(block));
      headers.forEach(h -> decoded.put(h.getKey().toString(), h.getValue().toString()));
    } catch (Http2Exception e) {
      brokenReason = "HPACK block of stream " + headerStream + " undecodable: " + e.getMessage();
      return;
    }
    Stream stream = streams.get(headerStream);
    long startMicros = stream == null ? 0 : stream.startMicros;
    if (headerEndStream) streams.remove(headerStream);
    listener.headers(headerStream, decoded, headerEndStream, startMicros);
  }

  private void onData(Frame f) {
    byte[] p = f.payload();
    int start = 0;
    int padding = 0;
    if ((f.flags() & FLAG_PADDED) != 0) {
      if (p.length < 1) {
        brokenReason = "padded DATA without a pad length";
        return;
      }
      padding = p[0] & 0xff;
      start = 1;
    }
    if (p.length - padding < start) {
      brokenReason = "DATA padding exceeds its frame";
      return;
    }
    Stream stream = streams.get(f.streamId());
    if (stream == null) return; // a stream we never saw open (reset, or before we attached)
    if (!stream.skipping) {
      stream.pending.write(p, start, p.length - padding - start);
      drainMessages(f.streamId(), stream, f.lastByteMicros());
    }
    if ((f.flags() & FLAG_END_STREAM) != 0) {
      streams.remove(f.streamId());
      listener.ended(f.streamId(), f.lastByteMicros());
    }
  }

  private void drainMessages(int streamId, Stream stream, long completedMicros) {
    while (stream.pending.size() >= 5) {
      byte[] buf = stream.pending.toByteArray();
      long length = ((buf[1] & 0xffL) << 24) | ((buf[2] & 0xffL) << 16) | ((buf[3] & 0xffL) << 8) | (buf[4] & 0xffL);
      if (length > MAX_MESSAGE_BYTES) {
        stream.skipping = true; // not a message we could be asked to read; drop the rest of the stream
        stream.pending.reset();
        return;
      }
      if (buf.length < 5 + length) return;
      byte[] message = new byte[(int) length];
      System.arraycopy(buf, 5, message, 0, (int) length);
      stream.pending.reset();
      stream.pending.write(buf, 5 + (int) length, buf.length - 5 - (int) length);
      listener.message(streamId, message, buf[0] != 0, stream.startMicros, completedMicros);
    }
  }
}
