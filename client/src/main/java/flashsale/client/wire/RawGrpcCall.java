package flashsale.client.wire;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Exception;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;

/**
 * One gRPC call written byte by byte on its own HTTP/2 connection, for sending what no gRPC
 * client would: bodies that do not parse, length prefixes that lie, calls cut short, header
 * blocks far over the server's limit. Returns what the server did about it, in one line.
 */
public final class RawGrpcCall {
  private static final int SETTINGS = 0x4;
  private static final int RST_STREAM = 0x3;
  private static final int GOAWAY = 0x7;
  private static final byte[] CANCEL = {0, 0, 0, 8}; // RST_STREAM's error code CANCEL
  private static final int FLAG_ACK = 0x1;
  private static final int MAX_FRAME_BYTES = 16_384; // RFC 9113 initial SETTINGS_MAX_FRAME_SIZE
  private static final int STREAM = 1;

  /**
   * What came back: {@code grpcStatus} (-1 when none) with its ErrorInfo reason (or "") and
   * message, else how the connection or stream ended ({@code RST_STREAM}, {@code GOAWAY},
   * {@code CLOSED}, {@code TIMEOUT}); {@code answer} is the call's first answer message, if any.
   */
  public record Outcome(int grpcStatus, String reason, String message, String ending, ByteString answer) {
    /** An outcome without an answer message. */
    public Outcome(int grpcStatus, String reason, String message, String ending) {
      this(grpcStatus, reason, message, ending, ByteString.EMPTY);
    }

    @Override
    public String toString() {
      return grpcStatus >= 0 ? "status " + io.grpc.Status.Code.values()[grpcStatus] + (reason.isEmpty() ? "" : " " + reason)
          : ending;
    }
  }

  /** A call's request: its path, extra headers and body. */
  public record Request(String path, Map<String, String> extraHeaders, byte[] body, boolean endStream) {
    /** A whole gRPC message: 5-byte prefix (uncompressed, the message's true length) and the message. */
    public static byte[] framed(byte[] message) {
      return ByteBuffer.allocate(5 + message.length).put((byte) 0).putInt(message.length).put(message).array();
    }
  }

  private RawGrpcCall() {}

  /** Sends {@code request} to {@code port} on loopback and waits up to {@code timeout} for the outcome. */
  public static Outcome send(int port, Request request, Duration timeout) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      ByteArrayOutputStream bytes = connectionStart();
      writeHeaders(bytes, "127.0.0.1:" + port, request, true);
      // An empty body on a stream left open sends no DATA at all: headers alone.
      boolean headersOnly = request.body().length == 0 && !request.endStream();
      for (int at = 0; !headersOnly && (at < request.body().length || at == 0); at += MAX_FRAME_BYTES) {
        int end = Math.min(request.body().length, at + MAX_FRAME_BYTES);
        int flags = end == request.body().length && request.endStream() ? GrpcStreamDecoder.FLAG_END_STREAM : 0;
        RawPurchaseConnection.writeFrame(bytes, GrpcStreamDecoder.DATA, flags, STREAM, Arrays.copyOfRange(request.body(), at, end));
        if (end == request.body().length) break;
      }
      try {
        socket.getOutputStream().write(bytes.toByteArray());
      } catch (IOException e) {
        return new Outcome(-1, "", "", "CLOSED while writing");
      }
      return read(socket);
    }
  }

  /**
   * A call whose HEADERS went alone, without a deadline: its message and its end may follow later
   * ({@link #send}, {@link #finish}, {@link #end}), or never (the call stays open until closed, or
   * until the server ends the connection).
   */
  public static final class OpenCall implements AutoCloseable {
    private final Socket socket;

    private OpenCall(Socket socket) {
      this.socket = socket;
    }

    /** Sends the call's one message and leaves the stream open. */
    public void send(byte[] message) throws IOException {
      write(Request.framed(message), 0);
    }

    /** Sends the call's one message, ending the stream, and waits up to {@code timeout} for the outcome. */
    public Outcome finish(byte[] message, Duration timeout) throws IOException {
      socket.setSoTimeout((int) timeout.toMillis());
      write(Request.framed(message), GrpcStreamDecoder.FLAG_END_STREAM);
      return read(socket);
    }

    /** Ends the stream (an empty DATA frame with END_STREAM) and waits up to {@code timeout} for the outcome. */
    public Outcome end(Duration timeout) throws IOException {
      socket.setSoTimeout((int) timeout.toMillis());
      write(new byte[0], GrpcStreamDecoder.FLAG_END_STREAM);
      return read(socket);
    }

    /** Sends nothing more and waits up to {@code timeout} for the server to end the call. */
    public Outcome await(Duration timeout) throws IOException {
      socket.setSoTimeout((int) timeout.toMillis());
      return read(socket);
    }

    private void write(byte[] payload, int flags) throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      RawPurchaseConnection.writeFrame(bytes, GrpcStreamDecoder.DATA, flags, STREAM, payload);
      socket.getOutputStream().write(bytes.toByteArray());
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** Opens a call to {@code path} on {@code port} on loopback and sends its HEADERS alone. */
  public static OpenCall open(int port, String path) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
      ByteArrayOutputStream bytes = connectionStart();
      writeHeaders(bytes, "127.0.0.1:" + port, new Request(path, Map.of(), new byte[0], false), false);
      socket.getOutputStream().write(bytes.toByteArray());
      return new OpenCall(socket);
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * The HTTP/2 "rapid reset" attack: opens {@code calls} calls to {@code path} on one connection
   * and cancels each at once (its HEADERS, then RST_STREAM CANCEL). Returns how the server ended
   * the connection ({@code GOAWAY <error code>}, {@code CLOSED}), or {@code OPEN} when it was still
   * open {@code patience} after the last reset was sent.
   */
  public static String resetRapidly(int port, String path, int calls, Duration patience) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), (int) patience.toMillis());
      socket.setSoTimeout((int) patience.toMillis());
      ByteArrayOutputStream bytes = connectionStart();
      // One encoder for the connection: HPACK's table carries from call to call, as in a real client.
      DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder();
      Request request = new Request(path, Map.of(), new byte[0], false);
      for (int i = 0; i < calls; i++) {
        int stream = 1 + 2 * i;
        writeHeaders(bytes, encoder, stream, "127.0.0.1:" + port, request, true);
        RawPurchaseConnection.writeFrame(bytes, RST_STREAM, 0, stream, CANCEL);
      }
      try {
        socket.getOutputStream().write(bytes.toByteArray());
      } catch (IOException e) {
        // closed while writing: what it sent before says why
      }
      String[] ending = {null};
      GrpcStreamDecoder decoder = new GrpcStreamDecoder(false, new GrpcStreamDecoder.Listener() {
        @Override
        public void control(Http2FrameReader.Frame f) {
          if (f.type() == GOAWAY && ending[0] == null) ending[0] = "GOAWAY " + goAwayCode(f);
          if (f.type() == SETTINGS) ackSettings(socket, f);
        }
      });
      byte[] buf = new byte[64 * 1024];
      try (InputStream in = socket.getInputStream()) {
        for (int n; ending[0] == null && (n = in.read(buf)) >= 0; ) decoder.feed(buf, 0, n, 0);
      } catch (SocketTimeoutException e) {
        return ending[0] != null ? ending[0] : "OPEN";
      } catch (IOException e) {
        // reset by the server
      }
      return ending[0] != null ? ending[0] : "CLOSED";
    }
  }

  /** A client connection's first bytes: the HTTP/2 preface and an empty SETTINGS. */
  private static ByteArrayOutputStream connectionStart() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.writeBytes(Http2FrameReader.PREFACE);
    RawPurchaseConnection.writeFrame(bytes, SETTINGS, 0, 0, new byte[0]);
    return bytes;
  }

  private static long goAwayCode(Http2FrameReader.Frame goAway) {
    return goAway.payload().length >= 8 ? ByteBuffer.wrap(goAway.payload(), 4, 4).getInt() & 0xffffffffL : -1;
  }

  /** Acknowledges the server's SETTINGS (an ACK itself needs none). */
  private static void ackSettings(Socket socket, Http2FrameReader.Frame settings) {
    if ((settings.flags() & FLAG_ACK) != 0) return;
    ByteArrayOutputStream ack = new ByteArrayOutputStream();
    RawPurchaseConnection.writeFrame(ack, SETTINGS, FLAG_ACK, 0, new byte[0]);
    try {
      socket.getOutputStream().write(ack.toByteArray());
    } catch (IOException ignored) {
      // the server is closing; what it sent says why
    }
  }

  private static void writeHeaders(ByteArrayOutputStream out, String authority, Request request, boolean withDeadline) {
    writeHeaders(out, new DefaultHttp2HeadersEncoder(), STREAM, authority, request, withDeadline);
  }

  private static void writeHeaders(ByteArrayOutputStream out, DefaultHttp2HeadersEncoder encoder, int stream, String authority,
      Request request, boolean withDeadline) {
    var headers = new DefaultHttp2Headers()
        .method("POST").scheme("http").path(request.path()).authority(authority)
        .add("content-type", "application/grpc").add("te", "trailers");
    if (withDeadline) headers.add("grpc-timeout", "3S");
    request.extraHeaders().forEach(headers::add);
    ByteBuf block = Unpooled.buffer();
    try {
      encoder.encodeHeaders(stream, headers, block);
    } catch (Http2Exception e) {
      throw new IllegalArgumentException("cannot encode headers: " + e.getMessage(), e);
    }
    byte[] encoded = new byte[block.readableBytes()];
    block.readBytes(encoded);
    // A block over the frame size goes on in CONTINUATION frames.
    for (int at = 0; at < encoded.length; at += MAX_FRAME_BYTES) {
      int end = Math.min(encoded.length, at + MAX_FRAME_BYTES);
      int type = at == 0 ? GrpcStreamDecoder.HEADERS : GrpcStreamDecoder.CONTINUATION;
      int flags = end == encoded.length ? GrpcStreamDecoder.FLAG_END_HEADERS : 0;
      RawPurchaseConnection.writeFrame(out, type, flags, stream, Arrays.copyOfRange(encoded, at, end));
    }
  }

  private static Outcome read(Socket socket) throws IOException {
    Outcome[] outcome = {null};
    ByteString[] answer = {ByteString.EMPTY};
    GrpcStreamDecoder decoder = new GrpcStreamDecoder(false, new GrpcStreamDecoder.Listener() {
      @Override
      public void message(int streamId, byte[] message, boolean compressed, long streamStartMicros, long completedMicros) {
        if (streamId == STREAM && answer[0].isEmpty()) answer[0] = ByteString.copyFrom(message);
      }

      @Override
      public void headers(int streamId, Map<String, String> headers, boolean endStream, long startMicros) {
        if (endStream && streamId == STREAM && headers.containsKey("grpc-status")) outcome[0] = trailers(headers, answer[0]);
      }

      @Override
      public void reset(int streamId, long errorCode) {
        if (streamId == STREAM) outcome[0] = new Outcome(-1, "", "", "RST_STREAM " + errorCode);
      }

      @Override
      public void control(Http2FrameReader.Frame f) {
        if (f.type() == GOAWAY && outcome[0] == null) outcome[0] = new Outcome(-1, "", "", "GOAWAY " + goAwayCode(f));
        if (f.type() == SETTINGS) ackSettings(socket, f);
      }
    });
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = socket.getInputStream()) {
      for (int n; outcome[0] == null && (n = in.read(buf)) >= 0; ) decoder.feed(buf, 0, n, 0);
    } catch (SocketTimeoutException e) {
      return outcome[0] != null ? outcome[0] : new Outcome(-1, "", "", "TIMEOUT");
    } catch (IOException e) {
      // reset by the server
    }
    return outcome[0] != null ? outcome[0] : new Outcome(-1, "", "", "CLOSED");
  }

  private static Outcome trailers(Map<String, String> headers, ByteString answer) {
    int status = Integer.parseInt(headers.get("grpc-status"));
    String reason = "";
    String details = headers.get("grpc-status-details-bin");
    if (details != null) {
      try {
        for (Any any : com.google.rpc.Status.parseFrom(Base64.getDecoder().decode(details)).getDetailsList()) {
          if (any.is(ErrorInfo.class)) reason = any.unpack(ErrorInfo.class).getReason();
        }
      } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
        reason = "<undecodable details>";
      }
    }
    return new Outcome(status, reason, headers.getOrDefault("grpc-message", ""), "TRAILERS", answer);
  }

}
