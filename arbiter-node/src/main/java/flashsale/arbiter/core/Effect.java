package flashsale.arbiter.core;

import flashsale.sale.TicketRefusal;
import flashsale.sale.AuctionClose;
import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.Ticket;
import java.util.List;

/** What the sequencer asks its adapters to do. Carried out in the order returned. */
public sealed interface Effect {

  /** Write this batch atomically; report back with {@link Sequencer#batchPersisted}. */
  record PersistBatch(DecisionBatch batch) implements Effect {}

  /** Tell a region these durable decisions (for tickets it sent). */
  record SendDecisions(String region, List<Decision> decisions) implements Effect {}

  /**
   * Every bid stamped before the auction's close is judged and durable: write the result (winners
   * to the outbox) and report back with {@link Sequencer#auctionClosePersisted}. Nothing of the
   * event is persisted meanwhile.
   */
  record PersistAuctionClose(AuctionClose close) implements Effect {}

  /** An open auction's stored standing (bids or close) changed: tell every connected region, for its watchers. */
  record AuctionStandingChanged(String eventId, flashsale.sale.AuctionStanding standing) implements Effect {}

  /** The auction's durable result: tell every connected region. */
  record AnnounceAuctionClose(AuctionClose close) implements Effect {}

  /** Tell every connected region that the event sold out at this stamp. */
  record BroadcastSoldOut(String eventId, long soldOutMicros) implements Effect {}

  /** Tell a region that this ticket will not be ranked, and why. */
  record RejectTicket(String region, Ticket ticket, TicketRefusal reason, String message) implements Effect {}

  /** Tell a region whether its clock is trusted. */
  record SendClockVerdict(String region, boolean flagged, String message) implements Effect {}

  /**
   * The region went silent past the region timeout and is left out of frontiers ({@code excluded}),
   * or spoke again and rejoins. For logs and metrics; the sequencer has already acted on it.
   */
  record RegionExclusion(String region, boolean excluded, String message) implements Effect {}

  /**
   * The event's sale is over and nothing of it is pending: it has left the sequencer. Take it out
   * of the store's live index; it is served from the store from now on.
   */
  record EventFinished(String eventId) implements Effect {}

  /**
   * Welcome this region node's current stream. It stamps nothing at or below {@code stampFloorMicros}
   * from now on: what it already promised, and the latest stamp released in an event its region
   * sells ({@link Long#MIN_VALUE} for none), so no ticket it stamps after the welcome is late.
   */
  record WelcomeRegionNode(String source, long stampFloorMicros) implements Effect {}

  /**
   * A named region node the store does not hold yet wants its welcome: record it ({@code
   * ArbiterStore.recordRegionNode}), retrying until it is durable, then report back with {@link
   * Sequencer#regionNodeRecorded}. Every later leader then waits for it.
   */
  record RecordRegionNode(String source) implements Effect {}

  /** A recorded region node went silent past the region timeout: forget it in the store (once, best effort). */
  record ForgetRegionNode(String source) implements Effect {}

  /**
   * A named region node disconnected and silent for long has left the sequencer (node ids churn
   * with deployments). For logs; it is a new node if it comes back.
   */
  record RegionNodeForgotten(String source, String message) implements Effect {}

  /** The region broke the protocol: close its stream with FAILED_PRECONDITION. */
  record CutOffRegion(String region, String reason) implements Effect {}

}
