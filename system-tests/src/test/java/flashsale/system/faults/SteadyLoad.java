package flashsale.system.faults;

import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.FlashSaleServiceGrpc.FlashSaleServiceStub;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A steady purchase load at a fixed rate over the regions (one user per request), recording when
 * each decision was answered, to show throughput before, during and after a fault: answers per
 * bucket, the longest stretch without an answer, and rates over chosen windows. Figures only; the
 * one assertion is that every call ends within its deadline.
 */
final class SteadyLoad {
  static final long DEADLINE_MS = 20_000;

  private final String eventId;
  private final ConcurrentLinkedQueue<Long> answeredNanos = new ConcurrentLinkedQueue<>();
  private final AtomicInteger errors = new AtomicInteger();
  private long startNanos;
  private long endNanos;

  SteadyLoad(String eventId) {
    this.eventId = eventId;
  }

  /** Sends {@code perSecond} purchases a second for {@code seconds}, round-robin, running {@code fault} at {@code faultAtMs}. */
  void run(Map<String, FlashSaleServiceStub> regions, int perSecond, int seconds, long faultAtMs, Runnable fault)
      throws InterruptedException {
    int count = perSecond * seconds;
    CountDownLatch done = new CountDownLatch(count);
    List<String> names = List.copyOf(regions.keySet());
    long intervalNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    startNanos = System.nanoTime();
    boolean faulted = false;
    for (int i = 0; i < count; i++) {
      long dueNanos = startNanos + i * intervalNanos;
      if (!faulted && dueNanos - startNanos >= TimeUnit.MILLISECONDS.toNanos(faultAtMs)) {
        faulted = true;
        fault.run();
      }
      long waitNanos = dueNanos - System.nanoTime();
      if (waitNanos > 0) TimeUnit.NANOSECONDS.sleep(waitNanos);
      String region = names.get(i % names.size());
      purchase(regions.get(region), eventId + "-s" + i, done);
    }
    assertTrue(done.await(DEADLINE_MS + 10_000, TimeUnit.MILLISECONDS), "a Purchase outlived its deadline");
    endNanos = System.nanoTime();
  }

  private void purchase(FlashSaleServiceStub stub, String requestId, CountDownLatch done) {
    var request = PurchaseRequest.newBuilder().setEventId(eventId).setUserId("u-" + requestId)
        .setRequestId(requestId).setQuantity(1).build();
    stub.withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS).purchase(request, new StreamObserver<>() {
      @Override
      public void onNext(PurchaseResponse r) {
        answeredNanos.add(System.nanoTime());
      }

      @Override
      public void onError(Throwable t) {
        errors.incrementAndGet();
        done.countDown();
      }

      @Override
      public void onCompleted() {
        done.countDown();
      }
    });
  }

  int errors() {
    return errors.get();
  }

  /** Answers per bucket of {@code bucketMs} from the start of the load to the last answer. */
  List<Integer> perBucket(long bucketMs) {
    List<Integer> buckets = new ArrayList<>();
    for (long t : answeredNanos) {
      int b = (int) ((t - startNanos) / TimeUnit.MILLISECONDS.toNanos(bucketMs));
      while (buckets.size() <= b) buckets.add(0);
      buckets.set(b, buckets.get(b) + 1);
    }
    return buckets;
  }

  /** The longest time with no answer, in ms, and when it began (ms after the start). */
  long[] longestGapMs() {
    List<Long> times = answeredNanos.stream().sorted().toList();
    long gap = 0;
    long at = 0;
    long previous = startNanos;
    for (long t : times) {
      if (t - previous > gap) {
        gap = t - previous;
        at = previous - startNanos;
      }
      previous = t;
    }
    return new long[] {gap / 1_000_000, at / 1_000_000};
  }

  /** Answers per second between {@code fromMs} and {@code toMs} after the start. */
  double ratePerSecond(long fromMs, long toMs) {
    long from = startNanos + TimeUnit.MILLISECONDS.toNanos(fromMs);
    long to = startNanos + TimeUnit.MILLISECONDS.toNanos(toMs);
    long n = answeredNanos.stream().filter(t -> t >= from && t < to).count();
    return toMs > fromMs ? n * 1000.0 / (toMs - fromMs) : 0;
  }

  /** Milliseconds from the start of the load to the last answer. */
  long spanMs() {
    return (endNanos - startNanos) / 1_000_000;
  }
}
