package flashsale.region;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.Ticket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * On the production transport, a purchase of an event id the arbiter is slow to look up (a made-up
 * one, say) holds the region's watermarks only briefly: purchases of other events go on.
 */
class UnknownEventHoldTest {

  @Test
  void aSlowLookUpOfAnUnknownEventDoesNotHoldBackPurchasesOfOtherEvents() throws Exception {
    FakeArbiter arbiter = new FakeArbiter();
    var lookups = new CountDownLatch(1);
    arbiter.lookupsHeld = lookups; // no answer about "made-up" for as long as the test runs
    try (var node = RegionFixture.OnSocket.startSellingShoes(arbiter)) {
      FakeArbiter.Stream stream = arbiter.nextStream();
      RegionFixture.await("region connected", node.region()::arbiterConnected);
      var stub = FlashSaleServiceGrpc.newFutureStub(node.client()).withDeadlineAfter(30, TimeUnit.SECONDS);
      for (int i = 0; i < 20; i++) { // a warm path: the first calls of a cold JVM take hundreds of ms
        stub.purchase(RegionFixture.request("shoes", "warm-" + i, "warm-" + i, 1));
        stream.nextTicket();
      }
      stub.purchase(RegionFixture.request("made-up", "mallory", "junk-1", 1));
      Thread.sleep(20);
      long sentNanos = System.nanoTime();
      stub.purchase(RegionFixture.request("shoes", "alice", "honest-1", 1));
      Ticket honest = stream.nextTicket();
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentNanos);
      assertEquals("honest-1", honest.getRequestId());
      System.out.println("honest purchase behind a held look-up of a made-up event: ticket out after " + tookMs + " ms");
      // Held for the whole look-up, it waited the read order's 500 ms cap; now about 50 ms less the head start.
      assertTrue(tookMs < 300, "the honest purchase waited " + tookMs + " ms behind a look-up of a made-up event");
    } finally {
      lookups.countDown();
    }
  }
}
