package flashsale.region.modes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.PoolStore;
import flashsale.store.memory.InMemoryPoolStore;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseState;
import flashsale.wire.Errors;
import io.grpc.stub.StreamObserver;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** GetPurchase of a CENTRAL purchase still on its way to the pool: pending, not "no such purchase". */
class CentralSellerLookupTest {
  private static final EventSpec SPEC =
      new EventSpec("drop", "shoes", 10, 1_000_000, 2_000_000, 1, List.of("eu"), SaleMode.CENTRAL, 0);

  private final InMemoryPoolStore pool = new InMemoryPoolStore();
  /** Lets the pool's purchases through once completed (a slow store until then). */
  private final CompletableFuture<Void> poolAnswers = new CompletableFuture<>();
  private final PoolStore slowPool = (PoolStore) Proxy.newProxyInstance(PoolStore.class.getClassLoader(),
      new Class<?>[] {PoolStore.class}, (proxy, method, args) -> {
        if (method.getName().equals("buyCentral")) {
          return poolAnswers.thenCompose(v -> pool.buyCentral((EventSpec) args[0], (Ticket) args[1]));
        }
        try {
          return method.invoke(pool, args);
        } catch (InvocationTargetException e) {
          throw e.getCause();
        }
      });
  private final CentralSeller seller = new CentralSeller(slowPool);

  @Test
  void aPurchaseStillAtThePoolIsPendingThenDecided() throws Exception {
    PurchaseAnswer bought = new PurchaseAnswer();
    seller.purchase(SPEC, new Ticket("drop", "ann-1", "ann", 1, "eu", 1_500_000), bought);

    GetPurchaseResponse meanwhile = lookUp("ann-1").get(5, TimeUnit.SECONDS);
    assertEquals(PurchaseState.PURCHASE_STATE_PENDING, meanwhile.getState());
    assertEquals("PURCHASE_NOT_FOUND", reasonOf(lookUp("bob-1")), "one never sent is unknown");

    poolAnswers.complete(null);
    assertEquals(Outcome.OUTCOME_WON, bought.done.get(5, TimeUnit.SECONDS).getDecision().getOutcome());
    GetPurchaseResponse after = lookUp("ann-1").get(5, TimeUnit.SECONDS);
    assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, after.getState());
    assertEquals(Outcome.OUTCOME_WON, after.getDecision().getOutcome());
  }

  private CompletableFuture<GetPurchaseResponse> lookUp(String requestId) {
    CompletableFuture<GetPurchaseResponse> answer = new CompletableFuture<>();
    seller.getPurchase(SPEC, requestId, new StreamObserver<>() {
      @Override
      public void onNext(GetPurchaseResponse value) {
        answer.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        answer.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {}
    });
    return answer;
  }

  private static String reasonOf(CompletableFuture<GetPurchaseResponse> answer) {
    try {
      return "answered " + answer.join();
    } catch (CompletionException e) {
      return Errors.reasonOf(e.getCause()).orElse("<none>");
    }
  }
}
