package flashsale.client.wire;

import com.google.protobuf.InvalidProtocolBufferException;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.StreamPurchasesRequest;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Reads the client-to-region direction of one connection and notes, in a {@link WireLog}, each
 * Purchase's and PlaceBid's request_id with the time of the read that ended its call (END_STREAM,
 * after its message), and each purchase of a StreamPurchases stream with the time of the read that
 * completed its message: a request has arrived once all of it has, as the region stamps it. Other
 * calls (GetEvent, health, ...) are decoded for their headers only and ignored.
 */
public final class PurchaseTap implements GrpcStreamDecoder.Listener {
  static final String PURCHASE_PATH = "/" + FlashSaleServiceGrpc.getPurchaseMethod().getFullMethodName();
  static final String PLACE_BID_PATH = "/" + FlashSaleServiceGrpc.getPlaceBidMethod().getFullMethodName();
  static final String STREAM_PURCHASES_PATH = "/" + FlashSaleServiceGrpc.getStreamPurchasesMethod().getFullMethodName();

  private final WireLog log;
  /** This connection's own map: see {@link WireLog}. */
  private final WireLog.Connection arrivals;
  private final GrpcStreamDecoder decoder = new GrpcStreamDecoder(true, this);
  private final Set<Integer> purchaseStreams = new HashSet<>();
  private final Set<Integer> bidStreams = new HashSet<>();
  /** StreamPurchases streams: every message is a purchase of its own. */
  private final Set<Integer> manyPurchaseStreams = new HashSet<>();
  /** Purchase and PlaceBid calls whose message came and whose end has not. */
  private final java.util.Map<Integer, String> unendedCalls = new java.util.HashMap<>();

  public PurchaseTap(WireLog log) {
    this.log = log;
    this.arrivals = log.connection();
  }

  /** Feeds the bytes of one read from the client, read at {@code readMicros}. Never throws. */
  public void feed(byte[] bytes, int offset, int length, long readMicros) {
    decoder.feed(bytes, offset, length, readMicros);
  }

  /** The connection ended: its arrivals join those of every ended connection. */
  public void close() {
    log.retire(arrivals);
  }

  /** Why this connection's decoding stopped, or null. */
  public String broken() {
    return decoder.broken();
  }

  @Override
  public void headers(int streamId, Map<String, String> headers, boolean endStream, long streamStartMicros) {
    if (endStream) return;
    String path = headers.get(":path");
    if (PURCHASE_PATH.equals(path)) purchaseStreams.add(streamId);
    if (PLACE_BID_PATH.equals(path)) bidStreams.add(streamId);
    if (STREAM_PURCHASES_PATH.equals(path)) manyPurchaseStreams.add(streamId);
  }

  @Override
  public void reset(int streamId, long errorCode) {
    purchaseStreams.remove(streamId);
    bidStreams.remove(streamId);
    manyPurchaseStreams.remove(streamId);
    unendedCalls.remove(streamId);
  }

  @Override
  public void ended(int streamId, long endedMicros) {
    manyPurchaseStreams.remove(streamId);
    String requestId = unendedCalls.remove(streamId);
    if (requestId != null) arrivals.arrived(requestId, endedMicros);
  }

  @Override
  public void message(int streamId, byte[] message, boolean compressed, long streamStartMicros, long completedMicros) {
    if (manyPurchaseStreams.contains(streamId)) {
      streamedPurchase(message, compressed, completedMicros);
      return;
    }
    boolean purchase = purchaseStreams.remove(streamId);
    boolean bid = bidStreams.remove(streamId);
    if (!purchase && !bid) return; // not a Purchase or PlaceBid, or its request already noted
    if (compressed) {
      log.undecodable();
      return;
    }
    try {
      String requestId = purchase ? PurchaseRequest.parseFrom(message).getRequestId()
          : PlaceBidRequest.parseFrom(message).getRequestId();
      if (requestId.isEmpty()) log.undecodable();
      else unendedCalls.put(streamId, requestId);
    } catch (InvalidProtocolBufferException e) {
      log.undecodable();
    }
  }

  private void streamedPurchase(byte[] message, boolean compressed, long completedMicros) {
    if (compressed) {
      log.undecodable();
      return;
    }
    try {
      String requestId = StreamPurchasesRequest.parseFrom(message).getPurchase().getRequestId();
      if (requestId.isEmpty()) log.undecodable();
      else arrivals.arrived(requestId, completedMicros);
    } catch (InvalidProtocolBufferException e) {
      log.undecodable();
    }
  }
}
