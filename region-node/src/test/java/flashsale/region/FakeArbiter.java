package flashsale.region;

import flashsale.v1.ArbiterWelcome;
import flashsale.v1.Event;
import flashsale.v1.EventAnnouncement;
import flashsale.v1.GetDecisionRequest;
import flashsale.v1.GetDecisionResponse;
import flashsale.v1.LookupEventRequest;
import flashsale.v1.LookupEventResponse;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.Ticket;
import flashsale.v1.ClockReply;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * A scripted arbiter for adapter tests: it records everything a region sends, announces the
 * events the test put in {@link #announced} on every new stream, answers clock probes as a real
 * arbiter does (unless {@link #silent}: a frozen arbiter whose connection stays open), and sends
 * whatever the test tells it to. As a standby ({@link #standbyFor}) it refuses every stream with
 * NOT_LEADER naming that leader. It decides nothing by itself.
 */
final class FakeArbiter extends SequencerServiceGrpc.SequencerServiceImplBase {
  static final Duration WAIT = Duration.ofSeconds(5);

  /** Sent to every region on connect, and answered by LookupEvent. */
  final Map<String, Event> announced = new ConcurrentHashMap<>();
  /** Answered by LookupEvent only (created after the region connected). */
  final Map<String, Event> lookupOnly = new ConcurrentHashMap<>();
  /** A reservation's slots as LookupEvent reports them, by event id. */
  final Map<String, List<flashsale.v1.SlotStatus>> slotsLeft = new ConcurrentHashMap<>();
  /** LookupEvent calls received. */
  final AtomicInteger lookupCalls = new AtomicInteger();
  /** Answered by GetDecision, by request id. */
  final Map<String, PurchaseDecision> decisions = new ConcurrentHashMap<>();
  /** GetDecision's order of a decision, by request id (after the win). */
  final Map<String, flashsale.v1.Order> orders = new ConcurrentHashMap<>();
  /** Events with a payment window, as GetDecision says. */
  final java.util.Set<String> paymentWindows = ConcurrentHashMap.newKeySet();
  /** Answered by GetDecision as held undecided, by request id. */
  final Map<String, flashsale.v1.PendingTicket> pending = new ConcurrentHashMap<>();
  /** While non-null, GetDecision calls are parked here, unanswered, for the test to answer. */
  volatile BlockingQueue<StreamObserver<GetDecisionResponse>> heldDecisionLookups;
  /** GetDecision calls answered so far. */
  final AtomicInteger decisionLookups = new AtomicInteger();
  /** The request ids GetDecision was asked for, in the order asked. */
  final java.util.List<String> decisionLookupIds = new java.util.concurrent.CopyOnWriteArrayList<>();
  final BlockingQueue<Stream> streams = new LinkedBlockingQueue<>();
  /** While true, nothing is sent on its own accord: clock probes go unanswered. */
  volatile boolean silent;
  /**
   * While set, every new stream is refused with NOT_LEADER naming this {@code host:port}; empty:
   * naming no leader (none holds the lease, as while Redis is down).
   */
  volatile String standbyFor;
  /** While set, every new stream is welcomed and then at once ended with this status. */
  volatile Status endAfterWelcome;
  /** The stamp floor each welcome names (0: none). */
  volatile long stampFloorMicros;
  /** The bound on a new ticket's age each welcome names (0: none). */
  volatile long maxTicketAgeMicros;
  final AtomicInteger refused = new AtomicInteger();
  /** When each refusal as a standby happened ({@link System#nanoTime}). */
  final java.util.List<Long> refusedAtNanos = new java.util.concurrent.CopyOnWriteArrayList<>();

  @Override
  public StreamObserver<SequenceRequest> sequence(StreamObserver<SequenceResponse> out) {
    String leader = standbyFor;
    if (leader != null) {
      refused.incrementAndGet();
      refusedAtNanos.add(System.nanoTime());
      out.onError(leader.isEmpty() ? Errors.error(ErrorReason.NOT_LEADER, "a standby; no arbiter holds the lease")
          : Errors.error(ErrorReason.NOT_LEADER, "a standby; the leader is " + leader, Map.of("leader", leader)));
      return new StreamObserver<>() {
        @Override
        public void onNext(SequenceRequest value) {}

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {}
      };
    }
    Stream stream = new Stream(out, () -> silent);
    stream.send(SequenceResponse.newBuilder()
        .setWelcome(ArbiterWelcome.newBuilder().setArbiterId("fake").setMaxClockSkewMicros(10_000)
            .setStampFloorMicros(stampFloorMicros).setMaxTicketAgeMicros(maxTicketAgeMicros))
        .build());
    announced.values().forEach(e -> stream.send(SequenceResponse.newBuilder()
        .setEventAnnouncement(EventAnnouncement.newBuilder().setEvent(e)).build()));
    streams.add(stream);
    Status end = endAfterWelcome;
    if (end != null) stream.breakWith(end);
    return stream;
  }

  /** What LookupEvent says of each auction: its standing, or its result once closed. */
  final Map<String, flashsale.v1.AuctionResult> auctionViews = new ConcurrentHashMap<>();

  /** While set, LookupEvent answers only once it is counted down (from another thread). */
  volatile java.util.concurrent.CountDownLatch lookupsHeld;

  @Override
  public void lookupEvent(LookupEventRequest request, StreamObserver<LookupEventResponse> out) {
    lookupCalls.incrementAndGet();
    var held = lookupsHeld;
    if (held != null) {
      Thread.ofPlatform().daemon().start(() -> {
        try {
          held.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        answerLookup(request, out);
      });
      return;
    }
    answerLookup(request, out);
  }

  /** While set, every LookupEvent fails with it (a leader change, say). */
  volatile Status lookupFailsWith;

  private void answerLookup(LookupEventRequest request, StreamObserver<LookupEventResponse> out) {
    Status failing = lookupFailsWith;
    if (failing != null) {
      out.onError(failing.asRuntimeException());
      return;
    }
    Event event = announced.getOrDefault(request.getEventId(), lookupOnly.get(request.getEventId()));
    if (event == null) {
      out.onError(Status.NOT_FOUND.withDescription("no event " + request.getEventId()).asRuntimeException());
      return;
    }
    var view = LookupEventResponse.newBuilder().setEvent(event)
        .addAllSlots(slotsLeft.getOrDefault(request.getEventId(), List.of()));
    var auction = auctionViews.get(request.getEventId());
    if (auction != null) view.setAuction(auction);
    out.onNext(view.build());
    out.onCompleted();
  }

  @Override
  public void getDecision(GetDecisionRequest request, StreamObserver<GetDecisionResponse> out) {
    decisionLookups.incrementAndGet();
    decisionLookupIds.add(request.getRequestId());
    var parked = heldDecisionLookups;
    if (parked != null) {
      parked.add(out);
      return;
    }
    PurchaseDecision decision = decisions.get(request.getRequestId());
    var held = pending.get(request.getRequestId());
    if (decision == null && held != null) {
      out.onNext(GetDecisionResponse.newBuilder().setPending(held).build());
      out.onCompleted();
      return;
    }
    if (decision == null) {
      out.onError(Status.NOT_FOUND.withDescription("no decision").asRuntimeException());
      return;
    }
    GetDecisionResponse.Builder answer = GetDecisionResponse.newBuilder().setDecision(decision)
        .setHasPaymentWindow(paymentWindows.contains(decision.getEventId()));
    var order = orders.get(request.getRequestId());
    if (order != null) answer.setOrder(order);
    out.onNext(answer.build());
    out.onCompleted();
  }

  /** The next stream a region opens. */
  Stream nextStream() throws InterruptedException {
    Stream s = streams.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    if (s == null) throw new AssertionError("no region stream within " + WAIT);
    return s;
  }

  /** One region stream: what it received, and a way to answer or break it. */
  static final class Stream implements StreamObserver<SequenceRequest> {
    private final StreamObserver<SequenceResponse> out;
    private final BlockingQueue<SequenceRequest> received = new LinkedBlockingQueue<>();
    private final ArrayDeque<Ticket> unreadTickets = new ArrayDeque<>();
    private final BooleanSupplier silent;
    /** When the region opened it. */
    final long openedNanos = System.nanoTime();

    Stream(StreamObserver<SequenceResponse> out, BooleanSupplier silent) {
      this.out = out;
      this.silent = silent;
    }

    @Override
    public void onNext(SequenceRequest value) {
      received.add(value);
      if (value.hasClockProbe() && !silent.getAsBoolean()) {
        long nowMicros = RegionFixture.micros(java.time.Instant.now());
        send(SequenceResponse.newBuilder().setClockReply(ClockReply.newBuilder()
            .setOriginMicros(value.getClockProbe().getOriginMicros())
            .setReceiveMicros(nowMicros)
            .setTransmitMicros(nowMicros)).build());
      }
    }

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}

    synchronized void send(SequenceResponse response) {
      out.onNext(response);
    }

    synchronized void breakWith(Status status) {
      out.onError(status.asRuntimeException());
    }

    /** Ends the stream with {@code error}, trailers (an ErrorInfo) and all. */
    synchronized void breakWith(io.grpc.StatusRuntimeException error) {
      out.onError(error);
    }

    /** The next message the region sent, of any kind. */
    SequenceRequest next() throws InterruptedException {
      SequenceRequest r = received.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      if (r == null) throw new AssertionError("region sent nothing within " + WAIT);
      return r;
    }

    /** The next message of {@code kind}, skipping others. */
    SequenceRequest next(SequenceRequest.KindCase kind) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (System.nanoTime() < deadline) {
        SequenceRequest r = next();
        if (r.getKindCase() == kind) return r;
      }
      throw new AssertionError("no " + kind + " within " + WAIT);
    }

    /** The next ticket within {@code waitMs}, skipping other messages; null if none came. */
    Ticket pollTicket(long waitMs) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
      while (unreadTickets.isEmpty()) {
        SequenceRequest r = received.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (r == null) return null;
        if (r.hasTicketBatch()) unreadTickets.addAll(r.getTicketBatch().getTicketsList());
      }
      return unreadTickets.removeFirst();
    }

    /** The next ticket, skipping watermarks and clock traffic. */
    Ticket nextTicket() throws InterruptedException {
      if (unreadTickets.isEmpty()) {
        unreadTickets.addAll(next(SequenceRequest.KindCase.TICKET_BATCH).getTicketBatch().getTicketsList());
      }
      return unreadTickets.removeFirst();
    }
  }
}
