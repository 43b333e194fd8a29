package flashsale.client.bench;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Sends purchases to one region with async stubs and records each call's latency (send to
 * decision) in microseconds. {@link #keepInFlight} runs a closed loop: every answer sends the
 * next purchase from the transport thread, so the driver itself needs no thread of its own.
 */
final class PurchaseDriver {
  private final FlashSaleServiceGrpc.FlashSaleServiceStub stub;
  private final Recorder latencyMicros = new Recorder(3);
  private final AtomicLong decided = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong nextId = new AtomicLong();
  private final String eventId;
  private final String prefix;
  private volatile boolean running = true;

  PurchaseDriver(Channel channel, String eventId, String prefix) {
    this.stub = FlashSaleServiceGrpc.newStub(channel);
    this.eventId = eventId;
    this.prefix = prefix;
  }

  /** Starts {@code calls} independent purchase loops; each sends its next purchase on an answer. */
  void keepInFlight(int calls) {
    for (int i = 0; i < calls; i++) send(true);
  }

  /** Sends one purchase (open loop). */
  void sendOne() {
    send(false);
  }

  void stop() {
    running = false;
  }

  private void send(boolean again) {
    String id = prefix + "-" + nextId.getAndIncrement();
    long startNanos = System.nanoTime();
    var request = PurchaseRequest.newBuilder().setEventId(eventId).setUserId(id).setRequestId(id).setQuantity(1).build();
    stub.withDeadlineAfter(60, TimeUnit.SECONDS)
        .purchase(
            request,
            new StreamObserver<>() {
              @Override
              public void onNext(PurchaseResponse value) {
                latencyMicros.recordValue(Math.max(0, (System.nanoTime() - startNanos) / 1000));
                decided.incrementAndGet();
              }

              @Override
              public void onError(Throwable t) {
                failed.incrementAndGet();
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

  /** Latencies recorded since the last call. */
  Histogram takeLatencies() {
    return latencyMicros.getIntervalHistogram();
  }
}
