package flashsale.region.grpc;

import flashsale.v1.AuctionResult;
import flashsale.v1.WatchAuctionResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The WatchAuction streams of a region and the latest view of each auction the arbiter reported
 * (its stored standing, then its result). A change is pushed to every watcher of the auction as it
 * arrives on the sequencer stream; the result ends their streams. Loop-confined.
 */
final class AuctionWatchers {
  private final Map<String, AuctionResult> latest = new HashMap<>();
  private final Map<String, List<StreamObserver<WatchAuctionResponse>>> watchers = new HashMap<>();

  /** The arbiter reported the auction's stored standing, or its result; a result is never replaced. */
  void changed(String eventId, AuctionResult result) {
    AuctionResult known = latest.get(eventId);
    if (known != null && known.getClosed()) return;
    latest.put(eventId, result);
    List<StreamObserver<WatchAuctionResponse>> watching = result.getClosed()
        ? watchers.remove(eventId) : watchers.get(eventId);
    if (watching == null) return;
    for (StreamObserver<WatchAuctionResponse> out : List.copyOf(watching)) push(out, result);
  }

  /** The auctions someone watches whose result this node has not heard. */
  java.util.List<String> watchedOpen() {
    return List.copyOf(watchers.keySet());
  }

  /** The latest view reported, if any. */
  Optional<AuctionResult> latest(String eventId) {
    return Optional.ofNullable(latest.get(eventId));
  }

  /**
   * Starts a watch: {@code current} (what the arbiter's store holds now, asked by the caller) unless
   * a newer report came meanwhile, then every change.
   */
  void watch(String eventId, AuctionResult current, StreamObserver<WatchAuctionResponse> out) {
    // Cancelled while its look-up ran: its cancel handler found nothing to forget, and a dead
    // stream kept here would keep the auction's view past its event (see forgetEvent).
    if (out instanceof ServerCallStreamObserver<?> call && call.isCancelled()) return;
    AuctionResult now = latest.computeIfAbsent(eventId, id -> current);
    if (now.getClosed()) {
      push(out, now);
      return;
    }
    watchers.computeIfAbsent(eventId, id -> new ArrayList<>()).add(out);
    push(out, now);
  }

  /** The auction was let go (ended long ago): its last view goes unless someone still watches it. */
  void forgetEvent(String eventId) {
    if (!watchers.containsKey(eventId)) latest.remove(eventId);
  }

  /** The watcher went away (cancelled or its deadline passed). */
  void forget(String eventId, StreamObserver<WatchAuctionResponse> out) {
    List<StreamObserver<WatchAuctionResponse>> watching = watchers.get(eventId);
    if (watching != null && watching.remove(out) && watching.isEmpty()) watchers.remove(eventId);
  }

  private void push(StreamObserver<WatchAuctionResponse> out, AuctionResult result) {
    try {
      out.onNext(WatchAuctionResponse.newBuilder().setAuction(result).build());
      if (result.getClosed()) out.onCompleted();
    } catch (RuntimeException cancelled) {
      watchers.values().removeIf(list -> list.remove(out) && list.isEmpty());
    }
  }
}
