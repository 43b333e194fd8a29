package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.SequenceRequest;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import flashsale.v1.Ticket;
import io.grpc.stub.StreamObserver;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On the production transport, a streamed purchase holds the socket read that carried it only
 * until it is stamped or refused: a refused one (bad field, unknown event) must not hold the
 * region's watermark below its read for good, as no call end lets go of it for a stream.
 */
class StreamedPurchaseReadsTest {
  @Test
  void refusedStreamedPurchasesLetTheWatermarkMoveOn() throws Exception {
    FakeArbiter arbiter = new FakeArbiter();
    try (var node = RegionFixture.OnSocket.startSellingShoes(arbiter)) {
      RegionServer region = node.region();
      FakeArbiter.Stream stream = arbiter.nextStream();
      RegionFixture.await("region connected", region::arbiterConnected);
      BlockingQueue<StreamPurchasesResponse> answers = new LinkedBlockingQueue<>();
      var requests = FlashSaleServiceGrpc.newStub(node.client()).withDeadlineAfter(30, TimeUnit.SECONDS)
          .streamPurchases(new StreamObserver<>() {
            @Override
            public void onNext(StreamPurchasesResponse value) {
              answers.add(value);
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          });
      requests.onNext(streamed(RegionFixture.request("no-such-event", "alice", "unknown", 1)));
      requests.onNext(streamed(RegionFixture.request("shoes", "alice", "zero", 0)));
      requests.onNext(streamed(RegionFixture.request("shoes", "alice", "good", 1)));
      Map<String, String> reasons = new HashMap<>();
      for (int i = 0; i < 2; i++) {
        StreamPurchasesResponse answer = answers.poll(5, TimeUnit.SECONDS);
        assertNotNull(answer, "no answer within 5 s");
        reasons.put(answer.getRequestId(), answer.getError().getReason());
      }
      assertEquals(Map.of("unknown", ErrorReason.EVENT_NOT_FOUND.name(), "zero", ErrorReason.INVALID_FIELD.name()),
          reasons);
      Ticket good = stream.nextTicket();
      assertEquals("good", good.getRequestId());

      long answeredMicros = RegionFixture.micros(Instant.now());
      long watermarkMicros = Long.MIN_VALUE;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (watermarkMicros < answeredMicros && System.nanoTime() < deadline) {
        SequenceRequest next = stream.next();
        if (next.hasWatermark()) watermarkMicros = next.getWatermark().getWatermarkMicros();
      }
      assertTrue(watermarkMicros >= answeredMicros, "the watermark stayed at " + watermarkMicros
          + ", below the refused purchases' answers at " + answeredMicros + ": a read is still held");
    }
  }

  private static StreamPurchasesRequest streamed(flashsale.v1.PurchaseRequest purchase) {
    return StreamPurchasesRequest.newBuilder().setPurchase(purchase).build();
  }
}
