package flashsale.client.bench;

import flashsale.client.load.RecordOutcome;
import flashsale.client.load.RequestRecord;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.wire.Times;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Fires a {@link BurstPlan} at the region nodes, each purchase when due, and records what each
 * got: the send time from this process's clock and, from the taps in front of the regions, when
 * its bytes reached the region (the ground truth), beside the decision.
 */
public final class BurstDriver {
  private final Map<String, Channel> regions;
  private final Duration deadline;
  private final java.util.function.ToLongFunction<String> wireMicros;

  private volatile Progress progress = new Progress(0, 0);

  /** Counters of the run in progress, for a progress display. */
  private record Progress(int planned, long startNanos) {}

  private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong answered = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();

  /** A driver whose records carry no wire time (no taps). */
  public BurstDriver(Map<String, Channel> regions, Duration deadline) {
    this(regions, deadline, requestId -> 0);
  }

  /**
   * @param wireMicros a request_id's wire arrival at its region (0: unseen), read once the burst
   *     is answered, e.g. {@code cluster.wireLog()::wireMicrosOrZero}
   */
  public BurstDriver(Map<String, Channel> regions, Duration deadline, java.util.function.ToLongFunction<String> wireMicros) {
    this.regions = Map.copyOf(regions);
    this.deadline = deadline;
    this.wireMicros = wireMicros;
  }

  /** Where the current (or last) run stands; safe to poll from another thread. */
  public flashsale.client.load.LoadProgress progress() {
    Progress p = progress;
    long elapsedMicros = p.startNanos() == 0 ? 0 : (System.nanoTime() - p.startNanos()) / 1000;
    return new flashsale.client.load.LoadProgress(p.planned(), sent.get(), answered.get(), failed.get(), elapsedMicros);
  }

  /** Sends the whole plan for {@code eventId}, one unit per purchase, and waits for every answer. */
  public List<RequestRecord> run(String eventId, BurstPlan plan) throws InterruptedException {
    return run(plan, send -> PurchaseRequest.newBuilder().setEventId(eventId).setUserId(send.userId())
        .setRequestId(send.requestId()).setQuantity(1).build(), (send, decision) -> { });
  }

  /**
   * Sends {@code requestOf} each planned send (a reservation's slots, a quantity) and waits for
   * every answer; {@code onDecision} sees each decision as it comes (on a gRPC thread).
   */
  public List<RequestRecord> run(BurstPlan plan, java.util.function.Function<BurstPlan.Send, PurchaseRequest> requestOf,
      java.util.function.BiConsumer<BurstPlan.Send, PurchaseDecision> onDecision) throws InterruptedException {
    ConcurrentLinkedQueue<RequestRecord> records = new ConcurrentLinkedQueue<>();
    CountDownLatch done = new CountDownLatch(plan.sends().size());
    long startNanos = System.nanoTime();
    long startMicros = flashsale.client.ProtoTimes.micros(java.time.Instant.now()); // same µs clock as the taps
    sent.set(0);
    answered.set(0);
    failed.set(0);
    progress = new Progress(plan.sends().size(), startNanos);
    for (BurstPlan.Send send : plan.sends()) {
      long due = startNanos + send.offsetMicros() * 1000;
      for (long wait; (wait = due - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
      long sentNanos = System.nanoTime();
      long sendMicros = startMicros + (sentNanos - startNanos) / 1000;
      var request = requestOf.apply(send);
      sent.incrementAndGet();
      FlashSaleServiceGrpc.newStub(regions.get(send.region()))
          .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
          .purchase(request, new StreamObserver<>() {
            @Override
            public void onNext(PurchaseResponse response) {
              records.add(decided(send, sendMicros, (System.nanoTime() - sentNanos) / 1000, response.getDecision()));
              onDecision.accept(send, response.getDecision());
            }

            @Override
            public void onError(Throwable t) {
              records.add(new RequestRecord(send.requestId(), send.userId(), send.region(), sendMicros, 0,
                  RecordOutcome.ERROR, 0, 0, 0, (System.nanoTime() - sentNanos) / 1000,
                  Status.fromThrowable(t).getCode().name()));
              failed.incrementAndGet();
              answered.incrementAndGet();
              done.countDown();
            }

            @Override
            public void onCompleted() {
              answered.incrementAndGet();
              done.countDown();
            }
          });
    }
    if (!done.await(deadline.toMillis() * 2, TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("burst of " + plan.sends().size() + " purchases did not finish in time");
    }
    List<RequestRecord> answered = new ArrayList<>(records.size());
    for (RequestRecord r : records) answered.add(r.withWireMicros(wireMicros.applyAsLong(r.requestId())));
    return answered;
  }

  private static RequestRecord decided(BurstPlan.Send send, long sendMicros, long latencyMicros, PurchaseDecision d) {
    return new RequestRecord(send.requestId(), send.userId(), send.region(), sendMicros, 0,
        d.getOutcome() == Outcome.OUTCOME_WON ? RecordOutcome.WON : RecordOutcome.LOST,
        // a sold-out loss decided at the region has no rank: it comes after every ranked decision
        d.getRank() == 0 ? Long.MAX_VALUE : d.getRank(),
        Times.micros(d.getArrivalTime()), Times.micros(d.getDecideTime()), latencyMicros, "");
  }
}
