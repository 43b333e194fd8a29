package flashsale.client.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import flashsale.client.wire.Http2FrameReader.Frame;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2HeadersEncoder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One HTTP/2 connection that writes gRPC Purchase calls as pre-encoded bytes, so a burst of
 * thousands reaches the socket in milliseconds, which no client stack with per-call work can do
 * on two cores. It speaks just enough HTTP/2 for a gRPC server: the preface and SETTINGS, SETTINGS
 * and PING acknowledgements, connection flow control in both directions. Answers are read with
 * the tap's own decoder and timed per read.
 *
 * <p>Use: {@link #open}, {@link #encode} the calls (in the order they will be written), then
 * {@link #write} them in slices, then {@link #awaitAnswers}.
 */
public final class RawPurchaseConnection implements AutoCloseable {
  private static final int SETTINGS = 0x4;
  private static final int PING = 0x6;
  private static final int GOAWAY = 0x7;
  private static final int WINDOW_UPDATE = 0x8;
  private static final int FLAG_ACK = 0x1;
  private static final int RECEIVE_WINDOW_INCREMENT = (1 << 30);

  /** What came back for one call; {@code decision} is null unless the status was OK. */
  public record Answer(String requestId, int grpcStatus, PurchaseDecision decision, long answerMicros) {}

  /** One call's bytes on the wire and how many of them count against flow control. */
  public record EncodedCall(String requestId, int streamId, byte[] bytes, int dataBytes) {}

  private final Socket socket;
  private final OutputStream out;
  private final InstantSource clock;
  private final String authority;
  private final Http2HeadersEncoder hpack = new DefaultHttp2HeadersEncoder();
  private final Map<Integer, String> streamToRequest = new ConcurrentHashMap<>();
  private final Map<Integer, PurchaseDecision> decisions = new ConcurrentHashMap<>();
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final CountDownLatch settingsReceived = new CountDownLatch(1);
  private final Object windowLock = new Object();
  private long sendWindow = 65_535; // RFC 9113 initial connection window
  /** The StreamPurchases stream's send window: the server's initial stream window, then its updates. */
  private long streamedWindow = 65_535;
  private long initialStreamWindow = 65_535;
  /** The connection's StreamPurchases stream, or 0. */
  private volatile int streamedStreamId;
  private volatile long maxConcurrentStreams = Long.MAX_VALUE;
  private volatile String failure;
  private int nextStreamId = 1;
  private volatile CountDownLatch remaining = new CountDownLatch(0);

  private RawPurchaseConnection(Socket socket, InstantSource clock, String authority) throws IOException {
    this.socket = socket;
    this.out = socket.getOutputStream();
    this.clock = clock;
    this.authority = authority;
  }

  /** Connects, exchanges SETTINGS, and opens the receive window wide. */
  public static RawPurchaseConnection open(String host, int port, InstantSource clock, Duration timeout) throws IOException, InterruptedException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
    socket.setTcpNoDelay(true);
    RawPurchaseConnection c = new RawPurchaseConnection(socket, clock, host + ":" + port);
    // The preface goes out before the reader starts: a server may send its SETTINGS at once, and
    // the reader's ACK must not reach the wire ahead of the preface (the region then drops the
    // connection as "client preface string missing"; seen once in three burst benchmarks).
    synchronized (c.out) {
      c.out.write(Http2FrameReader.PREFACE);
      // Each stream may receive 1 GiB before a WINDOW_UPDATE (none is ever sent): a StreamPurchases
      // stream's answers would otherwise stop at the default 64 KiB, about 440 decisions.
      c.frame(SETTINGS, 0, 0, ByteBuffer.allocate(6).putShort((short) 0x4).putInt(RECEIVE_WINDOW_INCREMENT).array());
      c.frame(WINDOW_UPDATE, 0, 0, ByteBuffer.allocate(4).putInt(RECEIVE_WINDOW_INCREMENT).array());
      c.out.flush();
    }
    Thread.ofPlatform().daemon().name("raw-h2-reader-" + port).start(c::readLoop);
    if (!c.settingsReceived.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      c.close();
      throw new IOException("no HTTP/2 SETTINGS from " + host + ":" + port + " within " + timeout);
    }
    return c;
  }

  /** Pre-encodes Purchase calls; they must then be written in this order, since HPACK state is shared. */
  public List<EncodedCall> encode(List<PurchaseRequest> requests, Duration deadline) {
    if (nextStreamId + 2L * requests.size() > Integer.MAX_VALUE) throw new IllegalStateException("stream ids exhausted");
    if (requests.size() > maxConcurrentStreams) {
      throw new IllegalStateException("the server allows " + maxConcurrentStreams + " concurrent streams, the burst needs " + requests.size());
    }
    return requests.stream().map(r -> encodeOne(r, deadline)).toList();
  }

  /**
   * Pre-encodes the purchases as the messages of one StreamPurchases stream, in order: the first
   * carries the stream's HEADERS, each is a DATA frame of its own. Answers come back as messages of
   * that stream, by request_id.
   */
  public List<EncodedCall> encodeStreamed(List<PurchaseRequest> requests, Duration deadline) {
    if (streamedStreamId != 0) throw new IllegalStateException("one StreamPurchases stream per connection");
    int streamId = nextStreamId;
    nextStreamId += 2;
    streamedStreamId = streamId;
    List<EncodedCall> calls = new ArrayList<>(requests.size());
    for (PurchaseRequest request : requests) {
      byte[] data = RawGrpcCall.Request.framed(StreamPurchasesRequest.newBuilder().setPurchase(request).build().toByteArray());
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      if (calls.isEmpty()) {
        writeFrame(bytes, GrpcStreamDecoder.HEADERS, GrpcStreamDecoder.FLAG_END_HEADERS, streamId,
            headerBlock(streamId, PurchaseTap.STREAM_PURCHASES_PATH, deadline));
      }
      writeFrame(bytes, GrpcStreamDecoder.DATA, 0, streamId, data);
      calls.add(new EncodedCall(request.getRequestId(), streamId, bytes.toByteArray(), data.length));
    }
    return calls;
  }

  private byte[] headerBlock(int streamId, String path, Duration deadline) {
    var headers = new DefaultHttp2Headers()
        .method("POST").scheme("http").path(path).authority(authority)
        .add("content-type", "application/grpc").add("te", "trailers")
        .add("grpc-timeout", deadline.toMillis() + "m");
    ByteBuf block = Unpooled.buffer();
    try {
      hpack.encodeHeaders(streamId, headers, block);
    } catch (Http2Exception e) {
      throw new IllegalStateException("HPACK encoding failed for stream " + streamId, e);
    }
    byte[] headerBytes = new byte[block.readableBytes()];
    block.readBytes(headerBytes);
    return headerBytes;
  }

  private EncodedCall encodeOne(PurchaseRequest request, Duration deadline) {
    int streamId = nextStreamId;
    nextStreamId += 2;
    byte[] data = RawGrpcCall.Request.framed(request.toByteArray());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    writeFrame(bytes, GrpcStreamDecoder.HEADERS, GrpcStreamDecoder.FLAG_END_HEADERS, streamId,
        headerBlock(streamId, PurchaseTap.PURCHASE_PATH, deadline));
    writeFrame(bytes, GrpcStreamDecoder.DATA, GrpcStreamDecoder.FLAG_END_STREAM, streamId, data);
    streamToRequest.put(streamId, request.getRequestId());
    return new EncodedCall(request.getRequestId(), streamId, bytes.toByteArray(), data.length);
  }

  /** Starts expecting {@code calls} answers; call before the first {@link #write}. */
  public void expect(int calls) {
    remaining = new CountDownLatch(calls);
  }

  /** Writes a slice of encoded calls in one socket write, once the server's flow-control window admits them. */
  public void write(List<EncodedCall> slice) throws IOException, InterruptedException {
    int dataBytes = slice.stream().mapToInt(EncodedCall::dataBytes).sum();
    // A StreamPurchases stream's messages also count against that one stream's window.
    int streamedBytes = slice.stream().filter(c -> c.streamId() == streamedStreamId).mapToInt(EncodedCall::dataBytes).sum();
    synchronized (windowLock) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (sendWindow < dataBytes || streamedWindow < streamedBytes) {
        if (failure != null) throw new IOException(failure);
        if (System.nanoTime() > deadline) {
          throw new IOException("flow-control window stayed at " + sendWindow + " bytes (stream " + streamedWindow + ")");
        }
        windowLock.wait(10);
      }
      sendWindow -= dataBytes;
      streamedWindow -= streamedBytes;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (EncodedCall c : slice) bytes.writeBytes(c.bytes());
    synchronized (out) {
      out.write(bytes.toByteArray());
      out.flush();
    }
  }

  /** Waits for every expected answer; false on timeout. */
  public boolean awaitAnswers(Duration timeout) throws InterruptedException {
    return remaining.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Answers so far, by request_id. */
  public Map<String, Answer> answers() {
    return Map.copyOf(answers);
  }

  /** Why the connection stopped working, or null. */
  public String failure() {
    return failure;
  }

  private void readLoop() {
    GrpcStreamDecoder decoder = new GrpcStreamDecoder(false, new Responses());
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = socket.getInputStream()) {
      for (int n; (n = in.read(buf)) >= 0; ) {
        decoder.feed(buf, 0, n, WireTap.micros(clock.instant()));
        if (decoder.broken() != null) {
          failure = "cannot read the server's answers: " + decoder.broken();
          return;
        }
      }
      failure = "connection closed by the server";
    } catch (IOException e) {
      if (failure == null) failure = "connection failed: " + e;
    } finally {
      synchronized (windowLock) {
        windowLock.notifyAll();
      }
    }
  }

  /** The server's side of the connection: answers, trailers and control frames. */
  private final class Responses implements GrpcStreamDecoder.Listener {
    @Override
    public void message(int streamId, byte[] message, boolean compressed, long streamStartMicros, long completedMicros) {
      if (streamId == streamedStreamId && streamId != 0) {
        streamedAnswer(message, compressed);
        return;
      }
      try {
        if (!compressed) decisions.put(streamId, PurchaseResponse.parseFrom(message).getDecision());
      } catch (InvalidProtocolBufferException e) {
        failure = "undecodable answer on stream " + streamId;
      }
    }

    /** One answer on the StreamPurchases stream: a decision, or the error its Purchase call would have had. */
    private void streamedAnswer(byte[] message, boolean compressed) {
      try {
        if (compressed) throw new InvalidProtocolBufferException("compressed");
        StreamPurchasesResponse answer = StreamPurchasesResponse.parseFrom(message);
        Answer a = answer.hasDecision()
            ? new Answer(answer.getRequestId(), 0, answer.getDecision(), WireTap.micros(clock.instant()))
            : new Answer(answer.getRequestId(), Math.max(1, answer.getError().getCode()), null, WireTap.micros(clock.instant()));
        if (answers.putIfAbsent(answer.getRequestId(), a) == null) remaining.countDown();
      } catch (InvalidProtocolBufferException e) {
        failure = "undecodable answer on the StreamPurchases stream";
      }
    }

    @Override
    public void headers(int streamId, Map<String, String> headers, boolean endStream, long streamStartMicros) {
      if (!endStream) return;
      if (streamId == streamedStreamId && streamId != 0) {
        failure = "the StreamPurchases stream ended: grpc-status " + headers.get("grpc-status") + " " + headers.get("grpc-message");
        return;
      }
      int status = Integer.parseInt(headers.getOrDefault("grpc-status", "2"));
      finish(streamId, status);
    }

    @Override
    public void reset(int streamId, long errorCode) {
      if (streamId == streamedStreamId && streamId != 0) failure = "the server reset the StreamPurchases stream: " + errorCode;
      finish(streamId, 14); // UNAVAILABLE: the server dropped the call
    }

    private void finish(int streamId, int status) {
      String requestId = streamToRequest.remove(streamId);
      if (requestId == null) return;
      PurchaseDecision decision = status == 0 ? decisions.remove(streamId) : null;
      answers.put(requestId, new Answer(requestId, status, decision, WireTap.micros(clock.instant())));
      remaining.countDown();
    }

    @Override
    public void control(Frame f) {
      try {
        switch (f.type()) {
          case SETTINGS -> onSettings(f);
          case PING -> {
            if ((f.flags() & FLAG_ACK) == 0) send(PING, FLAG_ACK, 0, f.payload());
          }
          case WINDOW_UPDATE -> {
            if (f.payload().length == 4 && (f.streamId() == 0 || f.streamId() == streamedStreamId)) {
              synchronized (windowLock) {
                int increment = ByteBuffer.wrap(f.payload()).getInt() & 0x7fffffff;
                if (f.streamId() == 0) sendWindow += increment; else streamedWindow += increment;
                windowLock.notifyAll();
              }
            }
          }
          case GOAWAY -> failure = "the server sent GOAWAY";
          default -> { }
        }
      } catch (IOException e) {
        failure = "cannot answer the server: " + e;
      }
    }

    private void onSettings(Frame f) throws IOException {
      if ((f.flags() & FLAG_ACK) != 0) return;
      ByteBuffer p = ByteBuffer.wrap(f.payload());
      while (p.remaining() >= 6) {
        int id = p.getShort() & 0xffff;
        long value = p.getInt() & 0xffffffffL;
        if (id == 0x3) maxConcurrentStreams = value;
        if (id == 0x4 && value < 1024) failure = "the server's stream window of " + value + " bytes is too small for a Purchase";
        if (id == 0x4) {
          synchronized (windowLock) {
            streamedWindow += value - initialStreamWindow; // RFC 9113 6.9.2: open streams move by the change
            initialStreamWindow = value;
            windowLock.notifyAll();
          }
        }
      }
      send(SETTINGS, FLAG_ACK, 0, new byte[0]);
      settingsReceived.countDown();
    }
  }

  private void send(int type, int flags, int streamId, byte[] payload) throws IOException {
    synchronized (out) {
      frame(type, flags, streamId, payload);
      out.flush();
    }
  }

  private void frame(int type, int flags, int streamId, byte[] payload) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    writeFrame(bytes, type, flags, streamId, payload);
    out.write(bytes.toByteArray());
  }

  static void writeFrame(ByteArrayOutputStream out, int type, int flags, int streamId, byte[] payload) {
    int length = payload.length;
    out.write(length >>> 16);
    out.write(length >>> 8);
    out.write(length);
    out.write(type);
    out.write(flags);
    out.write(streamId >>> 24);
    out.write(streamId >>> 16);
    out.write(streamId >>> 8);
    out.write(streamId);
    out.writeBytes(payload);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
