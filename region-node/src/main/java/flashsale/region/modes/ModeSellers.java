package flashsale.region.modes;

import flashsale.region.core.BuyRequest;
import flashsale.region.core.Failure;
import flashsale.region.core.PurchaseRules;
import flashsale.region.grpc.RegionLoop;
import flashsale.sale.ErrorReason;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.PoolStore;
import flashsale.store.ShardStore;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.PurchaseResponse;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The region's entry point for CENTRAL and SHARDED purchases: checks the event's rules, stamps
 * the ticket, and hands it to the seller of its mode. A mode without a store is not handled
 * here, so the caller refuses it with MODE_NOT_SUPPORTED.
 */
public final class ModeSellers implements AutoCloseable {
  private final String region;
  private final CentralSeller central;
  private final ShardSeller shards;
  private final java.util.Set<SaleMode> soldHere;

  /**
   * Loop-owned afterwards; {@code arbiter} supplies the channel for shard reports.
   *
   * @param centralStore the central pool of CENTRAL events; null when this region sells none
   * @param shardStore this region's shards of SHARDED events; null when it sells none
   */
  public ModeSellers(String region, ModesConfig config, PoolStore centralStore, ShardStore shardStore, RegionLoop loop,
      java.util.function.Function<String, Channel> arbiter) {
    this(region, () -> "", config, centralStore, shardStore, loop, arbiter);
  }

  /** As above, the shard reports naming this node of the region ({@code nodeId} read as each is sent). */
  public ModeSellers(String region, java.util.function.Supplier<String> nodeId, ModesConfig config,
      PoolStore centralStore, ShardStore shardStore, RegionLoop loop, java.util.function.Function<String, Channel> arbiter) {
    this.region = region;
    this.central = centralStore == null ? null : new CentralSeller(centralStore);
    this.shards = shardStore == null ? null : new ShardSeller(region, nodeId, config, shardStore, loop, arbiter);
    var modes = java.util.EnumSet.noneOf(SaleMode.class); // read on every purchase: built once
    if (central != null) modes.add(SaleMode.CENTRAL);
    if (shards != null) modes.add(SaleMode.SHARDED);
    this.soldHere = java.util.Collections.unmodifiableSet(modes);
  }

  /** True when this region sells {@code spec}'s mode here (not through the arbiter). */
  public boolean handles(EventSpec spec) {
    return soldHere().contains(spec.mode());
  }

  /** The modes this region sells itself (their stores are configured), not through the arbiter. */
  public java.util.Set<SaleMode> soldHere() {
    return soldHere;
  }

  /** A syntactically valid purchase of an event this region {@link #handles}; answers {@code call}. */
  public void purchase(EventSpec spec, BuyRequest buy, long stampMicros, StreamObserver<PurchaseResponse> call) {
    Optional<Failure> broken = PurchaseRules.checkSaleRules(spec, region, buy, stampMicros);
    if (broken.isPresent() && broken.get().reason() == ErrorReason.EVENT_ENDED) {
      // A retry after the end still gets its answer: the mode's store may hold one from inside the sale.
      switch (spec.mode()) {
        case CENTRAL -> central.ended(spec, buy, broken.get(), call);
        case SHARDED -> shards.ended(spec, buy, broken.get(), stampMicros, call);
        case GLOBAL_ORDER -> throw new IllegalStateException("GLOBAL_ORDER event " + spec.eventId() + " is the sequencer's");
      }
      return;
    }
    if (broken.isPresent()) {
      Replies.fail(call, broken.get());
      return;
    }
    Ticket ticket = new Ticket(buy.eventId(), buy.requestId(), buy.userId(), buy.quantity(), region, stampMicros);
    switch (spec.mode()) {
      case CENTRAL -> central.purchase(spec, ticket, call);
      case SHARDED -> shards.purchase(spec, ticket, call);
      case GLOBAL_ORDER -> throw new IllegalStateException("GLOBAL_ORDER event " + spec.eventId() + " is the sequencer's");
    }
  }

  /**
   * A purchase of an event this region {@link #handles}, over its buyer's rate limit: a retry of a
   * request id the mode's store already decided gets that decision (one store read), anything else
   * {@code limited}, a retry still undecided too (its first call gets the decision). Nothing is bought.
   */
  public void limited(EventSpec spec, BuyRequest buy, Failure limited, StreamObserver<PurchaseResponse> call) {
    switch (spec.mode()) {
      case CENTRAL -> central.limited(spec, buy, limited, call);
      case SHARDED -> shards.limited(spec, buy, limited, call);
      case GLOBAL_ORDER -> throw new IllegalStateException("GLOBAL_ORDER event " + spec.eventId() + " is the sequencer's");
    }
  }

  /**
   * GetPurchase of an event this region {@link #handles}, from the store that decides it: the
   * central pool for CENTRAL (at any region), this region's shard for SHARDED. A SHARDED purchase
   * is known at its home region only (the buyer's {@link flashsale.shard.ShardHome}); elsewhere it
   * is PURCHASE_NOT_FOUND.
   */
  public void getPurchase(EventSpec spec, String requestId, StreamObserver<GetPurchaseResponse> call) {
    switch (spec.mode()) {
      case CENTRAL -> central.getPurchase(spec, requestId, call);
      case SHARDED -> shards.getPurchase(spec, requestId, call);
      case GLOBAL_ORDER -> throw new IllegalStateException("GLOBAL_ORDER event " + spec.eventId() + " is the sequencer's");
    }
  }

  /**
   * The purchase {@code requestId} of an event this region {@link #handles}, if it is held here
   * waiting for stock (SHARDED); a CENTRAL purchase is never held.
   */
  public Optional<Ticket> heldTicket(EventSpec spec, String requestId) {
    return spec.mode() == SaleMode.SHARDED ? shards.heldTicket(spec, requestId) : Optional.empty();
  }

  /**
   * {@code call} hears what the purchase {@code requestId}, held here ({@link #heldTicket}), is
   * answered: its decision, or the failure its own call gets. Nothing is bought for it.
   */
  public void awaitHeld(EventSpec spec, String requestId, StreamObserver<PurchaseResponse> call) {
    if (spec.mode() != SaleMode.SHARDED) throw new IllegalStateException(spec.mode() + " event " + spec.eventId() + " holds nothing");
    shards.awaitHeld(spec, requestId, call);
  }

  /** Fails held purchases with {@code failure} and closes the stores. */
  public void close(Failure failure) {
    if (shards != null) shards.close(failure);
    close();
  }

  @Override
  public void close() {
    if (central != null) central.close();
    if (shards != null) shards.closeStore();
  }
}
