package flashsale.client.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.wire.Http2FrameReader.Frame;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tap's parser on what a real grpc-java client writes, however the reads cut it. */
class PurchaseTapTest {
  static final List<String> IDS = List.of("req-a", "req-b", "req-c");
  static byte[] wire;

  @BeforeAll
  static void capture() throws Exception {
    wire = CapturedCalls.capture(IDS);
  }

  private static Map<String, Long> feedInReads(byte[] bytes, int[] cuts) {
    WireLog log = new WireLog();
    PurchaseTap tap = new PurchaseTap(log);
    int from = 0;
    long micros = 1_000;
    for (int cut : cuts) {
      tap.feed(bytes, from, cut - from, micros++);
      from = cut;
    }
    tap.feed(bytes, from, bytes.length - from, micros);
    assertNull(tap.broken(), "a well-formed capture never breaks the parser");
    Map<String, Long> seen = new java.util.TreeMap<>();
    for (String id : IDS) log.wireMicros(id).ifPresent(m -> seen.put(id, m));
    return seen;
  }

  /** The time each Purchase's last message byte was fed, when every byte is its own read. */
  private static Map<String, Long> byteByByte(byte[] bytes) {
    int[] cuts = new int[bytes.length - 1];
    for (int i = 0; i < cuts.length; i++) cuts[i] = i + 1;
    return feedInReads(bytes, cuts);
  }

  @Test
  void placeBidsAreNotedBesidePurchases() throws Exception {
    byte[] bytes = CapturedCalls.capture(List.of("req-a"), List.of("bid-1", "bid-2"));
    WireLog log = new WireLog();
    PurchaseTap tap = new PurchaseTap(log);
    for (int i = 0; i < bytes.length; i++) tap.feed(bytes, i, 1, 10_000 + i);
    assertNull(tap.broken());
    assertEquals(3, log.size(), "one purchase and two bids");
    long bid1 = log.wireMicros("bid-1").orElseThrow();
    assertTrue(log.wireMicros("req-a").orElseThrow() < bid1 && bid1 < log.wireMicros("bid-2").orElseThrow(),
        "in the order they were sent");
  }

  @Test
  void oneReadYieldsEveryPurchaseAtThatRead() {
    Map<String, Long> seen = feedInReads(wire, new int[0]);
    assertEquals(Map.of("req-a", 1_000L, "req-b", 1_000L, "req-c", 1_000L), seen);
  }

  /**
   * Not by its HEADERS nor by its message: a call has arrived once it has ended (END_STREAM, here
   * an empty DATA frame of its own after the message for some calls), as the region stamps it.
   */
  @Test
  void eachPurchaseIsDatedByTheReadThatEndedItsCall() {
    List<Frame> frames = frames(wire);
    Map<String, Long> seen = byteByByte(wire);
    assertEquals(IDS.size(), seen.size(), "every purchase found: " + seen);
    // byte k is read at 1000 + k: the stamp must be the offset of the last byte of its stream's END_STREAM frame
    List<Integer> purchaseStreams = new ArrayList<>();
    Map<Integer, Integer> endByteByStream = new java.util.HashMap<>();
    int offset = Http2FrameReader.PREFACE.length;
    for (Frame f : frames) {
      int end = offset + Http2FrameReader.FRAME_HEADER_BYTES + f.payload().length;
      if (f.type() == GrpcStreamDecoder.HEADERS) purchaseStreams.add(f.streamId());
      if (f.type() == GrpcStreamDecoder.DATA && (f.flags() & GrpcStreamDecoder.FLAG_END_STREAM) != 0) {
        endByteByStream.put(f.streamId(), end - 1);
      }
      offset = end;
    }
    purchaseStreams.remove(0); // the GetEvent's
    assertEquals(IDS.size(), purchaseStreams.size());
    for (int i = 0; i < IDS.size(); i++) {
      long endByte = endByteByStream.get(purchaseStreams.get(i));
      assertEquals(1_000L + endByte, seen.get(IDS.get(i)), IDS.get(i));
    }
  }

  /** An ended connection's arrivals stay found, and look-ups no longer walk its map. */
  @Test
  void anEndedConnectionsArrivalsAreKeptAndItsMapDropped() {
    WireLog log = new WireLog();
    int ownMaps = log.connectionCount();
    PurchaseTap first = new PurchaseTap(log);
    PurchaseTap second = new PurchaseTap(log);
    first.headers(1, Map.of(":path", PurchaseTap.PURCHASE_PATH), false, 1);
    first.message(1, flashsale.v1.PurchaseRequest.newBuilder().setRequestId("a").build().toByteArray(), false, 1, 2);
    first.ended(1, 3);
    second.headers(1, Map.of(":path", PurchaseTap.PURCHASE_PATH), false, 1);
    second.message(1, flashsale.v1.PurchaseRequest.newBuilder().setRequestId("a").build().toByteArray(), false, 1, 2);
    second.ended(1, 5); // a retry of "a" on another connection: the first arrival counts
    assertEquals(ownMaps + 2, log.connectionCount());
    first.close();
    assertEquals(ownMaps + 1, log.connectionCount(), "the ended connection's map is dropped");
    assertEquals(3L, log.wireMicros("a").orElseThrow(), "its arrival is kept");
    second.close();
    second.close(); // twice: nothing more
    assertEquals(ownMaps, log.connectionCount());
    assertEquals(3L, log.wireMicros("a").orElseThrow());
    assertEquals(1, log.size());
  }

  /** A call that never ends (reset, or cut off) is not noted: it never fully arrived. */
  @Test
  void aCallResetBeforeItsEndIsNotNoted() {
    WireLog log = new WireLog();
    PurchaseTap tap = new PurchaseTap(log);
    tap.headers(1, Map.of(":path", PurchaseTap.PURCHASE_PATH), false, 1);
    tap.message(1, flashsale.v1.PurchaseRequest.newBuilder().setRequestId("open").build().toByteArray(), false, 1, 2);
    assertEquals(0, log.size(), "not noted before its end");
    tap.reset(1, 8);
    tap.ended(1, 3);
    assertEquals(0, log.size(), "nor after a reset");
    tap.headers(3, Map.of(":path", PurchaseTap.PURCHASE_PATH), false, 4);
    tap.message(3, flashsale.v1.PurchaseRequest.newBuilder().setRequestId("ended").build().toByteArray(), false, 4, 5);
    tap.ended(3, 6);
    assertEquals(6L, log.wireMicros("ended").orElseThrow(), "dated by its end");
  }

  @Test
  void everyTwoReadSplitFindsEveryPurchase() {
    for (int cut = 1; cut < wire.length; cut++) {
      Map<String, Long> seen = feedInReads(wire, new int[] {cut});
      assertEquals(IDS.size(), seen.size(), "split at byte " + cut + ": " + seen);
    }
  }

  @Test
  void paddedFramesAndContinuationsAreFollowed() {
    byte[] rewritten = reframe(wire);
    assertTrue(rewritten.length > wire.length + 40, "padding and extra frame headers were added");
    Map<String, Long> seen = byteByByte(rewritten);
    assertEquals(IDS.size(), seen.size(), "every purchase found in padded frames: " + seen);
    Map<String, Long> plain = feedInReads(rewritten, new int[0]);
    assertEquals(IDS.size(), plain.size());
  }

  @Test
  void bytesThatAreNotHttp2StopTheParserWithoutThrowing() {
    PurchaseTap tap = new PurchaseTap(new WireLog());
    byte[] junk = "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes();
    tap.feed(junk, 0, junk.length, 1);
    assertNotNull(tap.broken());
    SplittableRandom random = new SplittableRandom(8);
    for (int trial = 0; trial < 200; trial++) { // random bytes after a valid start: never an exception
      byte[] bytes = Arrays.copyOf(wire, wire.length);
      for (int k = 0; k < 8; k++) {
        int at = Http2FrameReader.PREFACE.length + random.nextInt(bytes.length - Http2FrameReader.PREFACE.length);
        bytes[at] = (byte) random.nextInt(256);
      }
      new PurchaseTap(new WireLog()).feed(bytes, 0, bytes.length, 1);
    }
  }

  @Test
  void frameReaderSeesThePrefaceThenSettingsFirst() {
    List<Frame> frames = frames(wire);
    assertEquals(0x4, frames.get(0).type(), "a client's first frame is SETTINGS");
    assertArrayEquals(Http2FrameReader.PREFACE, Arrays.copyOf(wire, Http2FrameReader.PREFACE.length));
  }

  static List<Frame> frames(byte[] bytes) {
    List<Frame> frames = new ArrayList<>();
    Http2FrameReader reader = new Http2FrameReader(true, frames::add);
    reader.feed(bytes, 0, bytes.length, 0);
    assertNull(reader.broken());
    return frames;
  }

  /**
   * The same connection with every HEADERS padded and its block split into a HEADERS and a
   * CONTINUATION frame, and every DATA padded and split in two frames.
   */
  static byte[] reframe(byte[] bytes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(Http2FrameReader.PREFACE);
    for (Frame f : frames(bytes)) {
      byte[] p = f.payload();
      if (f.type() == GrpcStreamDecoder.HEADERS && (f.flags() & GrpcStreamDecoder.FLAG_END_HEADERS) != 0 && p.length > 2) {
        int half = p.length / 2;
        int keep = f.flags() & GrpcStreamDecoder.FLAG_END_STREAM;
        write(out, GrpcStreamDecoder.HEADERS, keep | GrpcStreamDecoder.FLAG_PADDED, f.streamId(), padded(Arrays.copyOfRange(p, 0, half), 7));
        write(out, GrpcStreamDecoder.CONTINUATION, GrpcStreamDecoder.FLAG_END_HEADERS, f.streamId(), Arrays.copyOfRange(p, half, p.length));
      } else if (f.type() == GrpcStreamDecoder.DATA && p.length > 2) {
        int half = p.length / 2;
        write(out, GrpcStreamDecoder.DATA, GrpcStreamDecoder.FLAG_PADDED, f.streamId(), padded(Arrays.copyOfRange(p, 0, half), 3));
        write(out, GrpcStreamDecoder.DATA, f.flags() | GrpcStreamDecoder.FLAG_PADDED, f.streamId(), padded(Arrays.copyOfRange(p, half, p.length), 0));
      } else {
        write(out, f.type(), f.flags(), f.streamId(), p);
      }
    }
    return out.toByteArray();
  }

  private static byte[] padded(byte[] content, int padding) {
    byte[] p = new byte[1 + content.length + padding];
    p[0] = (byte) padding;
    System.arraycopy(content, 0, p, 1, content.length);
    return p;
  }

  static void write(ByteArrayOutputStream out, int type, int flags, int streamId, byte[] payload) {
    RawPurchaseConnection.writeFrame(out, type, flags, streamId, payload);
  }
}
