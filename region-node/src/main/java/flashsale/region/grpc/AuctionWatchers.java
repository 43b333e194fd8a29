package flashsale.region.grpc;

import flashsale.region.core.Failure;
import flashsale.sale.ErrorReason;
import flashsale.v1.AuctionResult;
import flashsale.v1.WatchAuctionResponse;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The WatchAuction streams of a region and the latest view of each auction the arbiter reported
 * (its stored standing, then its result). A change is pushed to every watcher of the auction as it
 * arrives on the sequencer stream; the result ends their streams. A watcher that does not read
 * (its stream not ready) is sent only the newest view once it is ready again, so a slow or stalled
 * client holds one view, not every change. Loop-confined.
 */
final class AuctionWatchers {
  /** One open watch: the view it still has to be sent, if its stream was not ready for it. */
  private static final class Watch {
    final StreamObserver<WatchAuctionResponse> out;
    AuctionResult unsent;

    Watch(StreamObserver<WatchAuctionResponse> out) {
      this.out = out;
    }
  }

  private final int maxWatchers;
  private final Map<String, AuctionResult> latest = new HashMap<>();
  /** Open watches by auction; a closed auction's stay only until they are sent its result. */
  private final Map<String, Map<StreamObserver<WatchAuctionResponse>, Watch>> watches = new HashMap<>();
  private int openWatches;

  /** @param maxWatchers most open watches across auctions; beyond, new ones are refused */
  AuctionWatchers(int maxWatchers) {
    if (maxWatchers < 1) throw new IllegalArgumentException("max auction watchers " + maxWatchers + " < 1");
    this.maxWatchers = maxWatchers;
  }

  /** The arbiter reported the auction's stored standing, or its result; a result is never replaced. */
  void changed(String eventId, AuctionResult result) {
    AuctionResult known = latest.get(eventId);
    if (known != null && known.getClosed()) return;
    latest.put(eventId, result);
    Map<StreamObserver<WatchAuctionResponse>, Watch> watching = watches.get(eventId);
    if (watching == null) return;
    for (Watch watch : List.copyOf(watching.values())) offer(eventId, watch, result);
  }

  /** The auctions someone watches whose result this node has not heard. */
  List<String> watchedOpen() {
    List<String> open = new ArrayList<>();
    watches.keySet().forEach(id -> {
      AuctionResult view = latest.get(id);
      if (view == null || !view.getClosed()) open.add(id);
    });
    return open;
  }

  /** The latest view reported, if any. */
  Optional<AuctionResult> latest(String eventId) {
    return Optional.ofNullable(latest.get(eventId));
  }

  /**
   * Starts a watch: {@code current} (what the arbiter's store holds now, asked by the caller) unless
   * a newer report came meanwhile, then every change. Refused RESOURCE_EXHAUSTED while this region
   * has {@code maxWatchers} open.
   */
  void watch(String eventId, AuctionResult current, StreamObserver<WatchAuctionResponse> out) {
    // Cancelled while its look-up ran: its cancel handler found nothing to forget, and a dead
    // stream kept here would keep the auction's view past its event (see forgetEvent).
    if (out instanceof ServerCallStreamObserver<?> call && call.isCancelled()) return;
    Optional<Failure> full = admit();
    if (full.isPresent()) {
      out.onError(RegionWire.status(full.get()));
      return;
    }
    AuctionResult now = latest.computeIfAbsent(eventId, id -> current);
    Watch watch = new Watch(out);
    watches.computeIfAbsent(eventId, id -> new LinkedHashMap<>()).put(out, watch);
    openWatches++;
    offer(eventId, watch, now);
  }

  /** RESOURCE_EXHAUSTED while this region has as many open watches as it takes (asked before any look-up too). */
  Optional<Failure> admit() {
    return openWatches < maxWatchers ? Optional.empty() : Optional.of(Failure.of(ErrorReason.TOO_MANY_PENDING,
        "this region has " + openWatches + " open auction watches, its most; retry later or ask GetEvent"));
  }

  /** The watcher's stream can take more: it is sent the newest view it has not had. */
  void ready(String eventId, StreamObserver<WatchAuctionResponse> out) {
    Map<StreamObserver<WatchAuctionResponse>, Watch> watching = watches.get(eventId);
    Watch watch = watching == null ? null : watching.get(out);
    if (watch == null || watch.unsent == null) return;
    AuctionResult view = watch.unsent;
    watch.unsent = null;
    offer(eventId, watch, view);
  }

  /** The auction was let go (ended long ago): its last view goes unless someone still watches it. */
  void forgetEvent(String eventId) {
    if (!watches.containsKey(eventId)) latest.remove(eventId);
  }

  /** The watcher went away (cancelled or its deadline passed). */
  void forget(String eventId, StreamObserver<WatchAuctionResponse> out) {
    Map<StreamObserver<WatchAuctionResponse>, Watch> watching = watches.get(eventId);
    if (watching == null || watching.remove(out) == null) return;
    openWatches--;
    if (watching.isEmpty()) watches.remove(eventId);
    assert openWatches >= 0 : "open auction watches " + openWatches;
  }

  /** Sends {@code view} now if the stream can take it, else keeps it in place of any older one. */
  private void offer(String eventId, Watch watch, AuctionResult view) {
    if (watch.out instanceof ServerCallStreamObserver<?> call && !call.isReady() && !call.isCancelled()) {
      watch.unsent = view;
      return;
    }
    watch.unsent = null; // sent now, or an older view than this one: never sent after it
    try {
      watch.out.onNext(WatchAuctionResponse.newBuilder().setAuction(view).build());
      if (view.getClosed()) {
        forget(eventId, watch.out);
        watch.out.onCompleted();
      }
    } catch (RuntimeException cancelled) {
      forget(eventId, watch.out);
    }
  }
}
