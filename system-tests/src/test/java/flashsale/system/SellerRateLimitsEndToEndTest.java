package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import flashsale.shard.ShardHome;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetPurchaseRequest;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.PurchaseResponse;
import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The buyer rate limit (20 new purchases/s per user, burst 40: the region's defaults) holds for
 * the modes a region sells itself, CENTRAL and SHARDED, against real Redis pools: a flood from one
 * user is refused {@code RESOURCE_EXHAUSTED RATE_LIMITED} without buying (a refused call costs the
 * pool one read, to answer a retry), a retry of a request id the pool decided still gets its
 * decision, and other users keep buying.
 */
class SellerRateLimitsEndToEndTest {
  private static final int FLOOD = 150;
  private static final int USER_BURST = 40;
  private static final double USER_PER_SECOND = 20;
  static ModesFixture fx;

  @BeforeAll
  static void start() throws Exception {
    fx = new ModesFixture();
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @ParameterizedTest
  @EnumSource(value = EventMode.class, names = {"EVENT_MODE_CENTRAL", "EVENT_MODE_SHARDED"})
  void oneUsersFloodIsLimitedBeforeThePoolWhileRetriesAndOtherUsersAreAnswered(EventMode mode) throws Exception {
    String event = "limits-" + mode.name().toLowerCase(java.util.Locale.ROOT);
    fx.burst(mode, event, 1_000, 1, Map.of()); // creates the event, and both regions have sold from it
    var near = FlashSaleServiceGrpc.newFutureStub(fx.channel(fx.cluster.regionTarget("near")));
    String abuser = homedAtNear("abuser-" + event); // buckets are per user, across events
    long startNanos = System.nanoTime();
    Map<String, ListenableFuture<PurchaseResponse>> flood = new LinkedHashMap<>();
    for (int i = 0; i < FLOOD; i++) flood.put(abuser + "-" + i, near.purchase(buy(event, abuser, abuser + "-" + i)));
    Map<String, PurchaseDecision> decided = new LinkedHashMap<>();
    List<String> limited = new ArrayList<>();
    for (var sent : flood.entrySet()) {
      try {
        decided.put(sent.getKey(), sent.getValue().get().getDecision());
      } catch (ExecutionException e) {
        var refused = (StatusRuntimeException) e.getCause();
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, refused.getStatus().getCode(), refused.toString());
        assertEquals("RATE_LIMITED", Errors.reasonOf(refused).orElseThrow());
        assertTrue(Errors.retryDelayOf(refused).orElseThrow().compareTo(Duration.ZERO) > 0, "says when to retry");
        limited.add(sent.getKey());
      }
    }
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    long allowed = USER_BURST + (long) Math.ceil(USER_PER_SECOND * seconds);
    System.out.printf("%s: %d of %d purchases of one user over %.2f s were bought or decided (allowed %d), %d limited%n",
        mode, decided.size(), FLOOD, seconds, allowed, limited.size());
    assertTrue(decided.size() <= allowed, decided.size() + " decided, allowed " + allowed);
    assertTrue(decided.size() >= USER_BURST, "the first " + USER_BURST + " are allowed, " + decided.size() + " were");
    assertEquals(FLOOD, decided.size() + limited.size());
    assertTrue(limited.size() >= FLOOD - allowed, limited.size() + " limited");

    // Right after the flood (over the limit or just refilled: CentralSellerLimitedTest pins the
    // limited path) a retry of a decided request id gets that decision from the pool...
    var blocking = FlashSaleServiceGrpc.newBlockingStub(fx.channel(fx.cluster.regionTarget("near")));
    var first = decided.entrySet().iterator().next();
    assertEquals(first.getValue(), blocking.purchase(buy(event, abuser, first.getKey())).getDecision(),
        "a retry is answered whatever the rate");
    // ... a limited one was never bought ...
    var unknown = assertThrows(StatusRuntimeException.class, () -> blocking.getPurchase(GetPurchaseRequest.newBuilder()
        .setEventId(event).setRequestId(limited.get(0)).build()));
    assertEquals("PURCHASE_NOT_FOUND", Errors.reasonOf(unknown).orElseThrow(), "a limited purchase reached no pool");
    // ... and another user buys at once.
    String bystander = homedAtNear("bystander-" + event);
    assertTrue(blocking.purchase(buy(event, bystander, bystander + "-1")).hasDecision());
  }

  /** A user id whose SHARDED home is the near region (CENTRAL does not mind). */
  private static String homedAtNear(String prefix) {
    for (int i = 0; ; i++) {
      String user = prefix + "-" + i;
      if (ShardHome.of(user, ModesFixture.REGIONS).equals("near")) return user;
    }
  }

  private static PurchaseRequest buy(String eventId, String user, String requestId) {
    return PurchaseRequest.newBuilder().setEventId(eventId).setUserId(user).setRequestId(requestId).setQuantity(1)
        .build();
  }
}
