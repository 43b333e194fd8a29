package flashsale.client.bench;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PlaceBidRequest;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Sends calls (purchases or bids) to one region with async stubs and records each call's latency
 * (send to decision) in microseconds. {@link #keepInFlight} runs a closed loop: every answer sends
 * the next call from the transport thread, so the driver itself needs no thread of its own.
 */
final class CallDriver {
  /** Sends the call numbered {@code id} and reports its end to {@code done}. */
  @FunctionalInterface
  interface Call {
    void send(String id, long sequence, StreamObserver<Object> done);
  }

  private final Call call;
  /** From when each call was due (its schedule; for a closed loop, its send) to its answer. */
  private final Recorder latencyMicros = new Recorder(3);
  /** From when each call actually went out to its answer: hides a driver that sent late. */
  private final Recorder sentLatencyMicros = new Recorder(3);
  private final AtomicLong decided = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong nextId = new AtomicLong();
  private final String prefix;
  private volatile boolean running = true;
  private volatile LatencyHops hops; // null: latency only
  /** Only calls due at or after this are timed: an answer to one sent before the window is not its sample. */
  private volatile long timedFromNanos = Long.MIN_VALUE;

  private CallDriver(Call call, String prefix) {
    this.call = call;
    this.prefix = prefix;
  }

  /** One-unit purchases of {@code eventId}, each by its own user. */
  static CallDriver purchases(Channel channel, String eventId, String prefix) {
    var stub = FlashSaleServiceGrpc.newStub(channel);
    return new CallDriver((id, sequence, done) -> stub.withDeadlineAfter(60, TimeUnit.SECONDS).purchase(
        PurchaseRequest.newBuilder().setEventId(eventId).setUserId(id).setRequestId(id).setQuantity(1).build(),
        widen(done)), prefix);
  }

  /** Bids on auction {@code eventId} (currency USD), each by its own user, amount by call number. */
  static CallDriver bids(Channel channel, String eventId, String prefix, LongUnaryOperator amountMinorOfSequence) {
    var stub = FlashSaleServiceGrpc.newStub(channel);
    return new CallDriver((id, sequence, done) -> stub.withDeadlineAfter(60, TimeUnit.SECONDS).placeBid(
        PlaceBidRequest.newBuilder().setEventId(eventId).setUserId(id).setRequestId(id)
            .setAmountMinor(amountMinorOfSequence.applyAsLong(sequence)).setCurrencyCode("USD").build(),
        widen(done)), prefix);
  }

  @SuppressWarnings("unchecked")
  private static <R> StreamObserver<R> widen(StreamObserver<Object> observer) {
    return (StreamObserver<R>) (StreamObserver<?>) observer;
  }

  /** Also records where each decided purchase's time went (its stamps), into {@code hops}. */
  CallDriver recordHops(LatencyHops hops) {
    this.hops = hops;
    return this;
  }

  /** Starts {@code calls} independent loops; each sends its next call on an answer. */
  void keepInFlight(int calls) {
    for (int i = 0; i < calls; i++) send(true);
  }

  /**
   * Sends one call (open loop) that was due at {@code dueNanos}: its latency counts from then, so
   * a driver thread that stalls and sends a bunch late does not hide the wait (coordinated omission).
   */
  void sendOne(long dueNanos) {
    send(false, dueNanos);
  }

  void stop() {
    running = false;
  }

  private void send(boolean again) {
    send(again, System.nanoTime());
  }

  private void send(boolean again, long dueNanos) {
    long sequence = nextId.getAndIncrement();
    String id = prefix + "-" + sequence;
    LatencyHops hopsNow = hops;
    long sendWallMicros = hopsNow == null ? 0 : LatencyHops.wallMicros();
    long startNanos = System.nanoTime();
    call.send(id, sequence, new StreamObserver<>() {
      @Override
      public void onNext(Object value) {
        long nowNanos = System.nanoTime();
        if (timedFromNanos == Long.MIN_VALUE || dueNanos - timedFromNanos >= 0) {
          latencyMicros.recordValue(Math.max(0, (nowNanos - Math.min(dueNanos, startNanos)) / 1000));
          sentLatencyMicros.recordValue(Math.max(0, (nowNanos - startNanos) / 1000));
        }
        if (hopsNow != null && value instanceof PurchaseResponse r) hopsNow.record(sendWallMicros, r.getDecision());
        decided.incrementAndGet();
      }

      @Override
      public void onError(Throwable t) {
        if (timedFromNanos == Long.MIN_VALUE || dueNanos - timedFromNanos >= 0) failed.incrementAndGet();
        if (again && running) send(true);
      }

      @Override
      public void onCompleted() {
        if (again && running) send(true);
      }
    });
  }

  long decided() {
    return decided.get();
  }

  long failed() {
    return failed.get();
  }

  /** What one measured window of a closed loop gave. */
  record Window(double callsPerSecond, double seconds, long answered, long failed, Histogram latencyMicros) {
    double p50Millis() {
      return latencyMicros.getValueAtPercentile(50) / 1000.0;
    }

    double p99Millis() {
      return latencyMicros.getValueAtPercentile(99) / 1000.0;
    }
  }

  /**
   * Keeps {@code inFlight} calls going, lets them settle for {@code settleMillis}, measures
   * {@code seconds}, then stops the loops (answers still on the way are not counted).
   */
  Window measure(int inFlight, long settleMillis, int seconds) throws InterruptedException {
    keepInFlight(inFlight);
    Thread.sleep(settleMillis);
    long before = decided();
    takeLatencies();
    long startNanos = System.nanoTime();
    Thread.sleep(seconds * 1_000L);
    double measuredSeconds = (System.nanoTime() - startNanos) / 1e9;
    long answered = decided() - before;
    stop();
    return new Window(answered / measuredSeconds, measuredSeconds, answered, failed(), takeLatencies());
  }

  /** From now on, only calls due at or after {@code dueNanos} are timed (a measured window's first). */
  void timeCallsDueFrom(long dueNanos) {
    timedFromNanos = dueNanos;
  }

  /** Latencies from when each call was due, recorded since the last call. */
  Histogram takeLatencies() {
    sentLatencyMicros.getIntervalHistogram();
    return latencyMicros.getIntervalHistogram();
  }

  /**
   * Both latencies recorded since the last call: from when each call was due, and from when it
   * actually went out (the second alone would hide a driver that sent late).
   */
  Histogram[] takeBothLatencies() {
    return new Histogram[] {latencyMicros.getIntervalHistogram(), sentLatencyMicros.getIntervalHistogram()};
  }
}
