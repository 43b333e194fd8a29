package flashsale.client.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WireTapTest {

  @Test
  void callsPassThroughTheTapAndEachPurchaseIsLoggedAtTheReadThatCarriedIt() throws Exception {
    var server = CapturedCalls.echoServer();
    AtomicLong reads = new AtomicLong();
    // a clock that ticks one second per read, so the log shows which read carried what
    InstantSource perRead = () -> Instant.ofEpochSecond(1_700_000_000L + reads.incrementAndGet());
    WireLog log = new WireLog();
    try (WireTap tap = new WireTap(server.getPort(), log, perRead)) {
      ManagedChannel channel = Grpc.newChannelBuilder(tap.address(), InsecureChannelCredentials.create()).build();
      try {
        var stub = FlashSaleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
        for (String id : new String[] {"first", "second"}) {
          var answer = stub.purchase(PurchaseRequest.newBuilder().setEventId("e").setUserId("u").setRequestId(id).setQuantity(1).build());
          assertEquals(id, answer.getDecision().getRequestId(), "the answer came back through the tap");
        }
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      // The tap forwards a read before it parses it, so an answer can come back first.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (log.wireMicros("second").isEmpty() && System.nanoTime() < deadline) Thread.sleep(5);
      long first = log.wireMicros("first").orElseThrow();
      long second = log.wireMicros("second").orElseThrow();
      assertEquals(0, first % 1_000_000, "stamped with the per-read clock");
      assertTrue(second > first, "the later call was read later: " + first + " then " + second);
      assertEquals(0, tap.brokenConnections());
      assertEquals(2, log.size());
    } finally {
      server.shutdownNow();
    }
  }
}
