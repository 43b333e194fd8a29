package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.arbiter.ArbiterConfig;
import flashsale.arbiter.ArbiterNode;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.wire.Errors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** One identity creating events past its quota is told to wait; a retry of an event it made is free. */
class AdminEventQuotaTest {
  private ArbiterNode node;
  private ManagedChannel channel;
  private EventAdminServiceGrpc.EventAdminServiceBlockingStub admin;

  @BeforeEach
  void start() throws Exception {
    String name = InProcessServerBuilder.generateName();
    node = new ArbiterNode(ArbiterConfig.defaults().withAdminEventQuota(1, 3),
        InProcessServerBuilder.forName(name).directExecutor(), new InMemoryArbiterStore(), Clock.systemUTC()).start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    admin = EventAdminServiceGrpc.newBlockingStub(channel);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    node.stop();
  }

  private CreateEventRequest create(String eventId) {
    return CreateEventRequest.newBuilder().setRequestId("create-" + eventId)
        .setEvent(EventAdminGrpcServiceTest.validEvent().setEventId(eventId)).build();
  }

  @Test
  void theBurstPassesThenRateLimitedWithARetryDelayAndRetriesAreFree() {
    CreateEventRequest second = create("e2");
    admin.createEvent(create("e1"));
    admin.createEvent(second);
    admin.createEvent(create("e3"));
    StatusRuntimeException refused = assertThrows(StatusRuntimeException.class, () -> admin.createEvent(create("e4")));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode());
    assertEquals("RATE_LIMITED", Errors.reasonOf(refused).orElseThrow());
    Duration retry = Errors.retryDelayOf(refused).orElseThrow();
    assertTrue(retry.toMillis() > 0 && retry.toMillis() <= 60_000, retry.toString());
    // an identical retry of an event already created answers it, quota or not
    assertEquals("e2", admin.createEvent(second).getEvent().getEventId());
  }
}
