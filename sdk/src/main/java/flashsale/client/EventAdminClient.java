package flashsale.client;

import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventAdminServiceGetEventResponse;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.ListDecisionsResponse;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.RegionStatus;
import io.grpc.Channel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Operator client for the arbiter's {@code EventAdminService}: create and inspect events, page
 * through the decision log, list regions. Every call (each page, too) has a deadline; failures are
 * {@link FlashSaleException}s. Thread-safe.
 */
public final class EventAdminClient {
  private final EventAdminServiceGrpc.EventAdminServiceBlockingStub stub;
  private final Duration deadline;

  /** A client with {@link FlashSaleClient#DEFAULT_DEADLINE}; the caller owns the channel. */
  public EventAdminClient(Channel channel) {
    this(channel, FlashSaleClient.DEFAULT_DEADLINE);
  }

  /** A client whose every call must finish within {@code deadline}. */
  public EventAdminClient(Channel channel, Duration deadline) {
    if (deadline.isNegative() || deadline.isZero()) {
      throw new IllegalArgumentException("deadline must be positive, got " + deadline);
    }
    this.stub = EventAdminServiceGrpc.newBlockingStub(channel);
    this.deadline = deadline;
  }

  /**
   * Creates an event under a fresh request id and returns it as the arbiter stored it. A failure
   * carries that id ({@link FlashSaleException#requestId()}): after {@code DEADLINE_EXCEEDED} or
   * {@code UNAVAILABLE} the event may exist, and a retry under that id returns it.
   */
  public Event createEvent(Event event) {
    return createEvent(FlashSaleClient.newRequestId(), event);
  }

  /**
   * Creates an event; a retry with the same {@code requestId} returns the event created first.
   *
   * @throws FlashSaleException when the arbiter refuses it or cannot be reached, with {@code requestId}
   */
  public Event createEvent(String requestId, Event event) {
    CreateEventRequest request =
        CreateEventRequest.newBuilder().setRequestId(requestId).setEvent(event).build();
    return create(requestId, request);
  }

  /**
   * Creates an event whose wins must be paid within {@code paymentWindow} (after the win), with at
   * most {@code waitlistBound} losers waiting for released units (null: twice the stock).
   */
  public Event createEvent(String requestId, Event event, Duration paymentWindow, Long waitlistBound) {
    CreateEventRequest.Builder request = CreateEventRequest.newBuilder().setRequestId(requestId).setEvent(event)
        .setPaymentWindow(com.google.protobuf.Duration.newBuilder().setSeconds(paymentWindow.getSeconds())
            .setNanos(paymentWindow.getNano()));
    if (waitlistBound != null) request.setWaitlistBound(waitlistBound);
    return create(requestId, request.build());
  }

  private Event create(String requestId, CreateEventRequest request) {
    try {
      return Calls.blocking(() -> Calls.withDeadline(stub, deadline).createEvent(request)).getEvent();
    } catch (FlashSaleException e) {
      throw e.forRequest(requestId);
    }
  }

  /** An event with its state and live counters. */
  public EventAdminServiceGetEventResponse getEvent(String eventId) {
    EventAdminServiceGetEventRequest request =
        EventAdminServiceGetEventRequest.newBuilder().setEventId(eventId).build();
    return Calls.blocking(() -> Calls.withDeadline(stub, deadline).getEvent(request));
  }

  /** Every decision so far, in global rank order, fetched {@code pageSize} at a time. */
  public List<PurchaseDecision> listDecisions(String eventId, int pageSize) {
    List<PurchaseDecision> all = new ArrayList<>();
    forEachDecision(eventId, pageSize, all::add);
    return all;
  }

  /**
   * Streams the decision log page by page without holding it all in memory.
   *
   * @param pageSize decisions per page, 1 to 1000 (0 lets the server choose)
   */
  public void forEachDecision(String eventId, int pageSize, Consumer<PurchaseDecision> action) {
    forEachDecisionPage(eventId, pageSize, "", page -> page.getDecisionsList().forEach(action));
  }

  /**
   * Hands over the decision log's pages from {@code pageToken} on ("" for the first) until the
   * last. A page's {@code next_page_token} is where to start again after a failure, also at
   * another arbiter: tokens are positions in the log, not a session.
   *
   * @param pageSize decisions per page, 1 to 1000 (0 lets the server choose)
   */
  public void forEachDecisionPage(String eventId, int pageSize, String pageToken, Consumer<ListDecisionsResponse> action) {
    if (pageSize < 0 || pageSize > 1000) {
      throw new IllegalArgumentException("page size must be 0..1000, got " + pageSize);
    }
    String token = pageToken;
    do {
      ListDecisionsRequest request =
          ListDecisionsRequest.newBuilder()
              .setEventId(eventId)
              .setPageSize(pageSize)
              .setPageToken(token)
              .build();
      ListDecisionsResponse page =
          Calls.blocking(() -> Calls.withDeadline(stub, deadline).listDecisions(request));
      if (!page.getNextPageToken().isEmpty() && page.getNextPageToken().equals(token)) {
        // A server that hands back the same token would keep us looping forever.
        throw new IllegalStateException("server repeated page token " + token + " for event " + eventId);
      }
      action.accept(page);
      token = page.getNextPageToken();
    } while (!token.isEmpty());
  }

  /** Regions as the arbiter sees them: connection, watermark and measured clock offset. */
  public List<RegionStatus> listRegions() {
    return Calls.blocking(
            () -> Calls.withDeadline(stub, deadline).listRegions(ListRegionsRequest.getDefaultInstance()))
        .getRegionsList();
  }
}
