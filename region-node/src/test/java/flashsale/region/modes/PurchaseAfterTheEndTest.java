package flashsale.region.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.region.core.BuyRequest;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.store.PoolStore;
import flashsale.store.memory.InMemoryPoolStore;
import flashsale.v1.PurchaseResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A CENTRAL purchase retried after its sale ended (the buyer's answer was lost): the pool's
 * decision, as for a retry inside the sale; EVENT_ENDED only for a purchase the pool never
 * decided, and a retry, not an end, while the pool cannot say.
 */
class PurchaseAfterTheEndTest {
  private static final long START_MICROS = 1_000_000;
  private static final long END_MICROS = 2_000_000;
  private static final EventSpec SPEC =
      new EventSpec("drop", "shoes", 10, START_MICROS, END_MICROS, 1, List.of("eu"), SaleMode.CENTRAL, 0);
  private final InMemoryPoolStore pool = new InMemoryPoolStore();

  @Test
  void aRetryAfterTheEndGetsItsDecisionAndANewPurchaseIsToldTheSaleEnded() {
    ModeSellers modes = new ModeSellers("eu", ModesConfig.none(), pool, null, null, null);
    PurchaseResponse won = buy(modes, new BuyRequest("drop", "ann", "ann-1", 1), END_MICROS - 50_000).done.join();

    PurchaseAnswer retry = buy(modes, new BuyRequest("drop", "ann", "ann-1", 1), END_MICROS + 20_000);
    assertEquals(won.getDecision(), retry.done.join().getDecision(), "the stored decision, not EVENT_ENDED");
    assertEquals("EVENT_ENDED", buy(modes, new BuyRequest("drop", "bob", "bob-1", 1), END_MICROS + 20_000).reason());
    assertEquals("REQUEST_ID_REUSED", buy(modes, new BuyRequest("drop", "bob", "ann-1", 1), END_MICROS + 20_000).reason());
  }

  @Test
  void whileThePoolCannotSayTheBuyerIsAskedToRetry() {
    ModeSellers modes = new ModeSellers("eu", ModesConfig.none(), unreachable(), null, null, null);
    assertEquals("STORE_UNAVAILABLE", buy(modes, new BuyRequest("drop", "ann", "ann-1", 1), END_MICROS + 20_000).reason());
  }

  private static PurchaseAnswer buy(ModeSellers modes, BuyRequest buy, long stampMicros) {
    PurchaseAnswer answer = new PurchaseAnswer();
    modes.purchase(SPEC, buy, stampMicros, answer);
    return answer;
  }

  /** A central pool whose decision reads fail (every other call goes to a working pool). */
  private static PoolStore unreachable() {
    PoolStore working = new InMemoryPoolStore();
    return (PoolStore) java.lang.reflect.Proxy.newProxyInstance(PoolStore.class.getClassLoader(),
        new Class<?>[] {PoolStore.class}, (proxy, method, args) -> method.getName().equals("findCentralDecision")
            ? CompletableFuture.failedFuture(new IllegalStateException("connection refused"))
            : method.invoke(working, args));
  }
}
