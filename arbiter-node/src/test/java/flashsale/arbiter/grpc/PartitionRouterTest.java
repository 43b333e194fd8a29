package flashsale.arbiter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.net.EdgeServerBuilder;
import flashsale.sale.Partitions;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.EventAdminServiceGetEventResponse;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.RegionHello;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.ArbiterWelcome;
import flashsale.v1.Event;
import flashsale.wire.Errors;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router in front of per-partition copies of a service, on a real (in-process) gRPC server
 * built as the arbiter builds it: each call reaches the copy of its event's partition, a region
 * stream the copy of its hello's partition, and a hello with another partition count is refused.
 */
class PartitionRouterTest {
  private static final Partitions FOUR = new Partitions(4);
  private Server server;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    List<ServerServiceDefinition> admins = new ArrayList<>();
    List<ServerServiceDefinition> sequencers = new ArrayList<>();
    for (int p = 0; p < FOUR.count(); p++) {
      int partition = p;
      admins.add(new EventAdminServiceGrpc.EventAdminServiceImplBase() {
        @Override
        public void getEvent(EventAdminServiceGetEventRequest request, StreamObserver<EventAdminServiceGetEventResponse> out) {
          out.onNext(EventAdminServiceGetEventResponse.newBuilder()
              .setEvent(Event.newBuilder().setItem("served by partition " + partition)).build());
          out.onCompleted();
        }
      }.bindService());
      sequencers.add(new SequencerServiceGrpc.SequencerServiceImplBase() {
        @Override
        public StreamObserver<SequenceRequest> sequence(StreamObserver<SequenceResponse> out) {
          return new StreamObserver<>() {
            @Override
            public void onNext(SequenceRequest request) {
              out.onNext(SequenceResponse.newBuilder().setWelcome(ArbiterWelcome.newBuilder()
                  .setArbiterId("partition " + partition + " got " + request.getKindCase())).build());
            }

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {
              out.onCompleted();
            }
          };
        }
      }.bindService());
    }
    String name = InProcessServerBuilder.generateName();
    server = EdgeServerBuilder.of(InProcessServerBuilder.forName(name))
        .addService(PartitionRouter.route(admins, FOUR))
        .addService(PartitionRouter.route(sequencers, FOUR))
        .build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void aCallReachesTheCopyOfItsEventsPartition() {
    var admin = EventAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    for (String eventId : List.of("sale-1", "sale-2", "sale-3", "sale-4", "sale-5")) {
      var answer = admin.getEvent(EventAdminServiceGetEventRequest.newBuilder().setEventId(eventId).build());
      assertEquals("served by partition " + FOUR.of(eventId), answer.getEvent().getItem(), eventId);
    }
  }

  @Test
  void aRegionStreamStaysOnTheCopyItsHelloNames() throws Exception {
    var heard = new LinkedBlockingQueue<String>();
    var up = SequencerServiceGrpc.newStub(channel).sequence(new StreamObserver<>() {
      @Override
      public void onNext(SequenceResponse r) {
        heard.add(r.getWelcome().getArbiterId());
      }

      @Override
      public void onError(Throwable t) {
        heard.add("error " + Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {}
    });
    up.onNext(SequenceRequest.newBuilder().setHello(RegionHello.newBuilder().setRegion("east").setPartition(2)
        .setPartitionCount(4)).build());
    assertEquals("partition 2 got HELLO", heard.poll(5, TimeUnit.SECONDS));
    up.onNext(SequenceRequest.newBuilder().setWatermark(flashsale.v1.Watermark.newBuilder().setWatermarkMicros(5)).build());
    assertEquals("partition 2 got WATERMARK", heard.poll(5, TimeUnit.SECONDS));
    up.onCompleted();
  }

  @Test
  void aHelloWithAnotherPartitionCountIsRefused() throws Exception {
    var ended = new LinkedBlockingQueue<Throwable>();
    var up = SequencerServiceGrpc.newStub(channel).sequence(new StreamObserver<>() {
      @Override
      public void onNext(SequenceResponse r) {}

      @Override
      public void onError(Throwable t) {
        ended.add(t);
      }

      @Override
      public void onCompleted() {}
    });
    up.onNext(SequenceRequest.newBuilder().setHello(RegionHello.newBuilder().setRegion("east").setPartition(0)
        .setPartitionCount(8)).build());
    Throwable t = ended.poll(5, TimeUnit.SECONDS);
    assertEquals(Status.Code.FAILED_PRECONDITION, Status.fromThrowable(t).getCode(), String.valueOf(t));
    assertEquals("PROTOCOL_VIOLATION", Errors.reasonOf(t).orElse(""));
  }

  @Test
  void aRequestForNoEventStillGetsAClearAnswer() {
    var admin = EventAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS);
    // An empty event id hashes like any other id: the copy decides what to answer (here it serves).
    assertEquals("served by partition " + FOUR.of(""), admin.getEvent(EventAdminServiceGetEventRequest.getDefaultInstance())
        .getEvent().getItem());
  }
}
