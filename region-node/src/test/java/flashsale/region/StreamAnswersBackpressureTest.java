package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.sale.ErrorReason;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A StreamPurchases client that stops reading its answers, on the production transport: the
 * region must stop reading its purchases (so its answers cannot pile up in the node without
 * bound), and answer every purchase it took once the client reads again.
 */
class StreamAnswersBackpressureTest {
  static final int MOST_PURCHASES = 200_000;
  static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(1);
  /**
   * 1,571 were taken when this bound was set; 3,510 in CI on 2026-12-07, and 5,547 in a CI run
   * beside other builds (the stream reads on for 100 ms once it cannot take answers, and a loaded
   * machine reads more in them). 10,408 were before a stream paused; 13,786 and 18,421 when
   * answers were written as tasks on the decoding thread (the stream stayed ready while they queued).
   */
  static final long MOST_ANSWERS_HELD = 8_000;

  /** Purchases the region's gRPC server delivered on StreamPurchases streams (its own metric). */
  private static long purchasesTaken(RegionServer region) {
    return region.metrics().scrape().lines()
        .filter(l -> l.startsWith("grpc_server_requests_received_messages_total") && l.contains("StreamPurchases"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void aClientThatStopsReadingItsAnswersStopsBeingReadAndIsAnsweredInFullOnceItReadsAgain() throws Exception {
    FakeArbiter arbiter = new FakeArbiter();
    arbiter.announced.put("shoes", RegionFixture.event("shoes", Duration.ofHours(-1), Duration.ofHours(1),
        List.of(RegionFixture.REGION, "us")));
    RegionConfig config = RegionFixture.config().warmupPurchases(0).build();
    try (var node = RegionFixture.OnSocket.start(arbiter, config, InstantSource.system())) {
      arbiter.nextStream();
      RegionFixture.await("region connected", node.region()::arbiterConnected);
      // A 64 KiB window each way (no auto-tuning): the stop shows after a few thousand purchases.
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", node.region().port()).usePlaintext()
          .flowControlWindow(64 * 1024).build();
      try {
        Map<String, StreamPurchasesResponse> answers = new ConcurrentHashMap<>();
        ClientCallStreamObserver<StreamPurchasesRequest>[] requests = new ClientCallStreamObserver[1];
        FlashSaleServiceGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).streamPurchases(
            new ClientResponseObserver<StreamPurchasesRequest, StreamPurchasesResponse>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<StreamPurchasesRequest> stream) {
                stream.disableAutoRequestWithInitial(0); // reads no answer until told to
                requests[0] = stream;
              }

              @Override
              public void onNext(StreamPurchasesResponse answer) {
                answers.merge(answer.getRequestId(), answer, (a, b) -> {
                  throw new AssertionError("answered twice: " + a.getRequestId());
                });
              }

              @Override
              public void onError(Throwable t) {}

              @Override
              public void onCompleted() {}
            });
        ClientCallStreamObserver<StreamPurchasesRequest> stream = requests[0];

        // Quantity 0: each is refused at once, so each is answered at once.
        int sent = 0;
        long notReadySince = 0;
        while (sent < MOST_PURCHASES) {
          if (stream.isReady()) {
            stream.onNext(StreamPurchasesRequest.newBuilder()
                .setPurchase(RegionFixture.request("shoes", "u" + sent, "r" + sent, 0)).build());
            sent++;
            notReadySince = 0;
          } else if (notReadySince == 0) {
            notReadySince = System.nanoTime();
          } else if (System.nanoTime() - notReadySince > STUCK_NANOS) {
            break; // the region has stopped taking this stream's purchases
          } else {
            Thread.sleep(1);
          }
        }
        assertTrue(sent < MOST_PURCHASES, "the region read all " + sent
            + " purchases of a stream whose answers nobody read: it buffers their answers");
        assertTrue(answers.isEmpty(), "nothing read yet");
        long taken = purchasesTaken(node.region());
        Thread.sleep(2_000);
        long takenLater = purchasesTaken(node.region());
        System.out.printf("a client reading no answers sent %d purchases before its stream stopped; the region took %d,"
            + " and %d two seconds later%n", sent, taken, takenLater);
        // Its answers (about 80 bytes each) fill the client's 64 KiB window and gRPC's 32 KiB ready
        // threshold, and it is read on for 100 ms more. Reading on regardless, the region went on
        // taking its purchases (ever more slowly, as their answers queued up).
        assertEquals(taken, takenLater, "the region kept taking purchases whose answers nobody read");
        assertTrue(taken <= MOST_ANSWERS_HELD, "the region took " + taken + " purchases whose answers nobody read");

        stream.onCompleted();
        stream.request(Integer.MAX_VALUE);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (answers.size() < sent && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(sent, answers.size(), "every purchase sent is answered once the client reads");
        for (int i = 0; i < sent; i++) {
          StreamPurchasesResponse answer = answers.get("r" + i);
          assertEquals(ErrorReason.INVALID_FIELD.name(), answer.getError().getReason(), answer.toString());
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }
}
