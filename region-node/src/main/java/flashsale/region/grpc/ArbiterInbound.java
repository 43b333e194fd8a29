package flashsale.region.grpc;

import flashsale.net.ProtocolLog;
import flashsale.region.core.Completion;
import flashsale.region.core.Failure;
import flashsale.region.core.RegionCore;
import flashsale.sale.Decision;
import flashsale.sale.ErrorReason;
import flashsale.sale.EventSpec;
import flashsale.v1.ClockVerdict;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SoldOutNotice;
import flashsale.v1.TicketRejection;
import flashsale.wire.EventValidator;
import flashsale.wire.WireMapping;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the arbiter's sale messages (decisions, event announcements, sold-out notices,
 * rejections, clock verdicts) to the core and answers the calls they complete. Runs on the loop.
 * A malformed message is logged and skipped: it must not take other purchases down with it.
 */
final class ArbiterInbound implements Consumer<SequenceResponse> {
  private static final Logger log = LoggerFactory.getLogger(ArbiterInbound.class);
  // A region whose clock is flagged has every ticket refused, thousands in a burst: one WARN line per
  // kind per interval, each ticket at DEBUG (the arbiter counts them in flashsale_rejected_tickets_total).
  private static final ProtocolLog rejectedLog = ProtocolLog.of(ArbiterInbound.class, "arbiter rejected tickets");
  private static final ProtocolLog unansweredLog = ProtocolLog.of(ArbiterInbound.class, "decisions not learned");

  private final RegionCore core;
  private final CallRegistry calls;

  private Consumer<String> announced = eventId -> {};
  private java.util.function.BiConsumer<String, flashsale.v1.AuctionResult> auctionReported = (eventId, result) -> {};

  ArbiterInbound(RegionCore core, CallRegistry calls) {
    this.core = core;
    this.calls = calls;
  }

  /**
   * Told each auction's stored standing when it changes, and its result when it closes (and again
   * on connect).
   */
  void onAuctionResult(java.util.function.BiConsumer<String, flashsale.v1.AuctionResult> listener) {
    this.auctionReported = listener;
  }

  private Consumer<flashsale.v1.OrderUpdate> ordersStored = update -> {};
  private Runnable welcomed = () -> {};

  /** Told each write of order changes (after the win) once the arbiter's store holds it. */
  void onOrderUpdate(Consumer<flashsale.v1.OrderUpdate> listener) {
    this.ordersStored = listener;
  }

  /** Told each welcome of a new stream: what was pushed while none was up went to nobody. */
  void onWelcome(Runnable listener) {
    this.welcomed = listener;
  }

  private PurchaseStandings.Arbiter decisionLookup = (eventId, requestId, found, failed) ->
      failed.accept(Failure.of(flashsale.sale.ErrorReason.ARBITER_UNAVAILABLE, "no decision look-up"));

  /** Where a ticket refused after its event was let go is looked up ({@link ArbiterQueries#getDecision}). */
  void onDecisionLookup(PurchaseStandings.Arbiter lookup) {
    this.decisionLookup = lookup;
  }

  /** Told the id of each event announced, once the core knows it. */
  void onAnnounced(Consumer<String> listener) {
    this.announced = listener;
  }

  @Override
  public void accept(SequenceResponse message) {
    switch (message.getKindCase()) {
      case DECISION_BATCH -> decisions(message.getDecisionBatch().getDecisionsList());
      case EVENT_ANNOUNCEMENT -> toSpec(message.getEventAnnouncement().getEvent()).ifPresent(spec -> {
        core.eventAnnounced(spec);
        announced.accept(spec.eventId());
        log.info("event announced event={} stock={} regions={} mode={}", spec.eventId(), spec.stock(), spec.regions(),
            spec.mode());
      });
      case SOLD_OUT -> soldOut(message.getSoldOut());
      case AUCTION_CLOSED -> {
        var closed = message.getAuctionClosed();
        auctionReported.accept(closed.getEventId(), closed.getResult());
        log.info("auction closed event={} winners={}", closed.getEventId(), closed.getResult().getWinningBidsCount());
      }
      case AUCTION_UPDATE -> auctionReported.accept(message.getAuctionUpdate().getEventId(),
          message.getAuctionUpdate().getResult());
      case ORDER_UPDATE -> ordersStored.accept(message.getOrderUpdate());
      case WELCOME -> welcomed.run();
      case TICKET_REJECTION -> rejection(message.getTicketRejection());
      case CLOCK_VERDICT -> verdict(message.getClockVerdict());
      default -> log.warn("unexpected arbiter message kind={}", message.getKindCase());
    }
  }

  /** An event as the arbiter sent it, if it passes the same checks as a created one. */
  static Optional<EventSpec> toSpec(flashsale.v1.Event event) {
    try {
      EventValidator.validate(event);
      return Optional.of(WireMapping.fromProto(event, 0L));
    } catch (RuntimeException e) {
      log.warn("ignored invalid event event={} reason=\"{}\"", event.getEventId(), e.getMessage());
      return Optional.empty();
    }
  }

  /** Tickets a new stream did not resend, held past the arbiters' age bound: their calls fail, retryable. */
  void notResent(List<Completion> failed) {
    calls.completeAll(failed);
    log.warn("purchases held unsent past the arbiters' age bound failed retryable count={}", failed.size());
  }

    private void decisions(List<PurchaseDecision> wire) {
    List<Decision> decisions = new ArrayList<>(wire.size());
    for (PurchaseDecision d : wire) {
      try {
        decisions.add(WireMapping.fromProto(d));
      } catch (RuntimeException e) {
        log.warn("ignored malformed decision request_id={} reason=\"{}\"", d.getRequestId(), e.getMessage());
      }
    }
    var completions = core.decisionsArrived(decisions);
    calls.completeAll(completions);
    log.debug("decisions arrived decisions={} completed={}", decisions.size(), completions.size());
  }

  private void soldOut(SoldOutNotice notice) {
    core.soldOut(notice.getEventId(), notice.getSoldOutMicros());
    log.info("event sold out event={} sold_out_at_us={}",
        notice.getEventId(), notice.getSoldOutMicros());
  }

  private void rejection(TicketRejection r) {
    var reason = WireMapping.fromProto(r.getReason());
    if (core.refusedAfterTheEventWasLetGo(r.getEventId(), r.getRequestId(), reason)) {
      log.info("arbiter let event={} go; asking for the decision of request_id={}", r.getEventId(), r.getRequestId());
      decisionLookup.getDecision(r.getEventId(), r.getRequestId(), found -> {
        if (found.hasDecision()) {
          decisions(List.of(found.getDecision()));
          // Still pending: the store's decision is of another purchase under this id (another user,
          // at another region). This one was never ranked and never will be: told so, not left pending.
          if (core.pendingTicket(r.getEventId(), r.getRequestId()).isPresent()) {
            unanswered(r, wellFormed(found.getDecision())
                ? Failure.of(ErrorReason.REQUEST_ID_REUSED, "request_id " + r.getRequestId() + " of event "
                    + r.getEventId() + " was decided for another purchase (another user, quantity, slots or bid)")
                : Failure.of(ErrorReason.ARBITER_UNAVAILABLE, "the arbiter's stored decision of " + r.getRequestId()
                    + " could not be read; retry"));
          }
        } else {
          refuse(r, reason);
        }
      }, failed -> {
        if (failed.reason() == ErrorReason.PURCHASE_NOT_FOUND) {
          refuse(r, reason);
        } else {
          unanswered(r, failed); // the arbiter could not say: the ticket may have won, so no "ended"
        }
      });
      return;
    }
    refuse(r, reason);
  }

  private static boolean wellFormed(PurchaseDecision decision) {
    try {
      WireMapping.fromProto(decision);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** The pending ticket's calls get {@code failed} (a retry asks again); nothing is remembered of it. */
  private void unanswered(TicketRejection r, Failure failed) {
    var done = core.unanswered(r.getEventId(), r.getRequestId(), failed);
    done.ifPresent(calls::complete);
    log.debug("decision of request_id={} event={} not learned: {} pending_here={}", r.getRequestId(), r.getEventId(),
        failed.message(), done.isPresent());
    unansweredLog.rejected(failed.reason().name(), "last: request_id=" + r.getRequestId() + " event=" + r.getEventId()
        + " message=\"" + failed.message() + "\"");
  }

  private void refuse(TicketRejection r, flashsale.sale.TicketRefusal reason) {
    var done = core.rejected(r.getEventId(), r.getRequestId(), reason, r.getMessage());
    done.ifPresent(calls::complete);
    log.debug("arbiter rejected request_id={} event={} reason={} message=\"{}\" pending_here={}", r.getRequestId(), r.getEventId(),
        r.getReason(), r.getMessage(), done.isPresent());
    rejectedLog.rejected(r.getReason().name(), "last: request_id=" + r.getRequestId() + " event=" + r.getEventId()
        + " message=\"" + r.getMessage() + "\"");
  }

  private void verdict(ClockVerdict v) {
    boolean was = core.clockFlagged();
    core.clockVerdict(v.getFlagged(), v.getMessage());
    if (v.getFlagged() != was) {
      log.warn("arbiter clock verdict verdict={} message=\"{}\"", v.getFlagged() ? "flagged" : "cleared", v.getMessage());
    }
  }
}
