package flashsale.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.v1.ConfirmPaymentRequest;
import flashsale.v1.ConfirmPaymentResponse;
import flashsale.v1.Order;
import flashsale.v1.OrderServiceGrpc;
import flashsale.v1.OrderState;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An order call that meets a short outage (a new leader still recording the win answers UNAVAILABLE
 * NOT_LEADER "retry") is retried by the channel's service config, as purchases and admin calls are.
 */
class OrderClientRetryTest {
  private final AtomicInteger confirmAttempts = new AtomicInteger();
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(new RecordingFirst(2)).build().start();
    channel = FlashSaleChannels.forTarget(FlashSaleChannels.IN_PROCESS_PREFIX + name);
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aConfirmRefusedUnavailableTwiceIsRetriedAndPaid() {
    Order paid = new OrderClient(channel, Duration.ofSeconds(10)).confirmPayment("drop", "alice-1");

    assertEquals(OrderState.ORDER_STATE_PAID, paid.getState());
    assertEquals(3, confirmAttempts.get());
  }

  /** Answers UNAVAILABLE to the first {@code refusals} confirms, as an arbiter still recording the win, then PAID. */
  private final class RecordingFirst extends OrderServiceGrpc.OrderServiceImplBase {
    private final int refusals;

    RecordingFirst(int refusals) {
      this.refusals = refusals;
    }

    @Override
    public void confirmPayment(ConfirmPaymentRequest request, StreamObserver<ConfirmPaymentResponse> response) {
      if (confirmAttempts.incrementAndGet() <= refusals) {
        response.onError(Status.UNAVAILABLE.withDescription("the order of " + request.getRequestId()
            + " is being recorded; retry").asRuntimeException());
        return;
      }
      response.onNext(ConfirmPaymentResponse.newBuilder().setOrder(Order.newBuilder().setEventId(request.getEventId())
          .setRequestId(request.getRequestId()).setState(OrderState.ORDER_STATE_PAID)).build());
      response.onCompleted();
    }
  }
}
