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
 * got: the ground truth (true send time from this process's clock) beside the decision.
 */
public final class BurstDriver {
  private final Map<String, Channel> regions;
  private final Duration deadline;

  private volatile Progress progress = new Progress(0, 0);

  /** Counters of the run in progress, for a progress display. */
  private record Progress(int planned, long startNanos) {}

  private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong answered = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();

  public BurstDriver(Map<String, Channel> regions, Duration deadline) {
    this.regions = Map.copyOf(regions);
    this.deadline = deadline;
  }

  /** Where the current (or last) run stands; safe to poll from another thread. */
  public flashsale.client.load.LoadProgress progress() {
    Progress p = progress;
    long elapsedMicros = p.startNanos() == 0 ? 0 : (System.nanoTime() - p.startNanos()) / 1000;
    return new flashsale.client.load.LoadProgress(p.planned(), sent.get(), answered.get(), failed.get(), elapsedMicros);
  }

  /** Sends the whole plan for {@code eventId} and waits for every answer. */
  public List<RequestRecord> run(String eventId, BurstPlan plan) throws InterruptedException {
    ConcurrentLinkedQueue<RequestRecord> records = new ConcurrentLinkedQueue<>();
    CountDownLatch done = new CountDownLatch(plan.sends().size());
    long startNanos = System.nanoTime();
    long startMicros = System.currentTimeMillis() * 1000;
    sent.set(0);
    answered.set(0);
    failed.set(0);
    progress = new Progress(plan.sends().size(), startNanos);
    for (BurstPlan.Send send : plan.sends()) {
      long due = startNanos + send.offsetMicros() * 1000;
      for (long wait; (wait = due - System.nanoTime()) > 0; ) LockSupport.parkNanos(wait);
      long sentNanos = System.nanoTime();
      long sendMicros = startMicros + (sentNanos - startNanos) / 1000;
      var request = PurchaseRequest.newBuilder().setEventId(eventId).setUserId(send.userId())
          .setRequestId(send.requestId()).setQuantity(1).build();
      sent.incrementAndGet();
      FlashSaleServiceGrpc.newStub(regions.get(send.region()))
          .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)
          .purchase(request, new StreamObserver<>() {
            @Override
            public void onNext(PurchaseResponse response) {
              records.add(decided(send, sendMicros, (System.nanoTime() - sentNanos) / 1000, response.getDecision()));
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
    return new ArrayList<>(records);
  }

  private static RequestRecord decided(BurstPlan.Send send, long sendMicros, long latencyMicros, PurchaseDecision d) {
    return new RequestRecord(send.requestId(), send.userId(), send.region(), sendMicros, 0,
        d.getOutcome() == Outcome.OUTCOME_WON ? RecordOutcome.WON : RecordOutcome.LOST,
        // a sold-out loss decided at the region has no rank: it comes after every ranked decision
        d.getRank() == 0 ? Long.MAX_VALUE : d.getRank(),
        Times.micros(d.getArrivalTime()), Times.micros(d.getDecideTime()), latencyMicros, "");
  }
}
