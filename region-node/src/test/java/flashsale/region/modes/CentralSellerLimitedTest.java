package flashsale.region.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.region.core.BuyRequest;
import flashsale.region.core.BuyerLimits;
import flashsale.region.core.Failure;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.memory.InMemoryPoolStore;
import flashsale.v1.PurchaseResponse;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A CENTRAL purchase over its buyer's rate: a retry the pool decided gets that decision, nothing else is bought. */
class CentralSellerLimitedTest {
  private static final EventSpec SPEC =
      new EventSpec("drop", "shoes", 10, 1_000_000, 2_000_000, 1, List.of("eu"), SaleMode.CENTRAL, 0);
  /** What the region core answers a user over its rate (burst 1: the second purchase at once). */
  private static final Failure RATE_LIMITED = rateLimited();
  private final InMemoryPoolStore pool = new InMemoryPoolStore();
  private final CentralSeller seller = new CentralSeller(pool);

  private static Failure rateLimited() {
    BuyerLimits limits = new BuyerLimits(new BuyerLimits.Settings(20, 1, 0, 1, 100, 1000));
    limits.admit("ann", "", 1_500_000);
    return limits.admit("ann", "", 1_500_001).orElseThrow();
  }

  @Test
  void aRetryOfADecidedPurchaseIsAnsweredAndANewOneIsRefusedWithoutBuying() {
    PurchaseAnswer first = new PurchaseAnswer();
    seller.purchase(SPEC, new Ticket("drop", "ann-1", "ann", 1, "eu", 1_500_000), first);
    PurchaseResponse won = first.done.join();

    PurchaseAnswer retry = new PurchaseAnswer();
    seller.limited(SPEC, new BuyRequest("drop", "ann", "ann-1", 1), RATE_LIMITED, retry);
    assertEquals(won.getDecision(), retry.done.join().getDecision(), "the pool's decision, not the limit");

    PurchaseAnswer fresh = new PurchaseAnswer();
    seller.limited(SPEC, new BuyRequest("drop", "ann", "ann-2", 1), RATE_LIMITED, fresh);
    assertEquals("RATE_LIMITED", fresh.reason());
    assertEquals(Optional.empty(), pool.findCentralDecision("drop", "ann-2").join(), "nothing was bought");

    PurchaseAnswer reused = new PurchaseAnswer();
    seller.limited(SPEC, new BuyRequest("drop", "bob", "ann-1", 1), RATE_LIMITED, reused);
    assertEquals("REQUEST_ID_REUSED", reused.reason());
    assertTrue(pool.findCentralDecision("drop", "ann-1").join().isPresent());
  }
}
