package flashsale.region.core;

import static flashsale.region.core.Specs.REGION;
import static flashsale.region.core.Specs.buy;
import static flashsale.region.core.Specs.open;
import static flashsale.region.core.Specs.won;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import flashsale.sale.ErrorReason;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The region core's buyer limits: rate per user and per address, undecided purchases per user. */
class BuyerLimitsTest {
  private final FakeClock clock = new FakeClock(1_500_000);

  private RegionCore core(BuyerLimits.Settings limits) {
    RegionCore core = new RegionCore(REGION, 1000, 1000, clock, StampUncertainty.defaults(), limits);
    core.eventAnnounced(open("shoes"));
    return core;
  }

  private static Failure failureOf(Admission r) {
    return assertInstanceOf(Admission.Failed.class, r).failure();
  }

  @Test
  void aUserOverTheRateIsRateLimitedWithARetryDelayWhileOthersBuy() {
    RegionCore core = core(new BuyerLimits.Settings(10, 2, 0, 1, 100, 1000));
    long t = clock.instant().toEpochMilli() * 1000;
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "abuser", "a1", 1), t, "10.0.0.1"));
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "abuser", "a2", 1), t + 1, "10.0.0.1"));
    Failure f = failureOf(core.purchase(buy("shoes", "abuser", "a3", 1), t + 2, "10.0.0.1"));
    assertEquals(ErrorReason.RATE_LIMITED, f.reason(), f.message());
    assertEquals("100", f.metadata().get(BuyerLimits.RETRY_DELAY_MS));
    assertEquals("user_id", f.metadata().get("limit"));
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "bob", "b1", 1), t + 3, "10.0.0.1"));
  }

  /** Polling for the start spends no token: at the opening the buyer is not rate limited for it. */
  @Test
  void purchasesBeforeTheStartAreRefusedWithoutSpendingTheRate() {
    RegionCore core = core(new BuyerLimits.Settings(10, 2, 0, 1, 100, 1000));
    long start = core.eventSpec("shoes").orElseThrow().startMicros();
    for (int i = 0; i < 20; i++) {
      assertEquals(ErrorReason.EVENT_NOT_STARTED,
          failureOf(core.purchase(buy("shoes", "eager", "early-" + i, 1), start - 1_000 + i, "10.0.0.1")).reason());
    }
    clock.set(start);
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "eager", "at-start", 1), start, "10.0.0.1"));
  }

  @Test
  void aRetryOfAKnownRequestIdIsAnsweredWhateverTheRate() {
    RegionCore core = core(new BuyerLimits.Settings(1, 1, 0, 1, 100, 1000));
    long t = 1_500_000;
    var ticketed = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1), t, ""));
    assertEquals(ErrorReason.RATE_LIMITED, failureOf(core.purchase(buy("shoes", "alice", "r2", 1), t + 1, "")).reason());
    assertInstanceOf(Admission.Joined.class, core.purchase(buy("shoes", "alice", "r1", 1), t + 2, ""));
    core.decisionsArrived(List.of(won(ticketed.ticket(), 1)));
    assertInstanceOf(Admission.Decided.class, core.purchase(buy("shoes", "alice", "r1", 1), t + 3, ""));
  }

  @Test
  void anAddressOverItsRateIsRateLimitedWhateverTheUser() {
    RegionCore core = core(new BuyerLimits.Settings(0, 1, 100, 2, 100, 1000));
    long t = 1_500_000;
    core.purchase(buy("shoes", "u1", "r1", 1), t, "10.0.0.9");
    core.purchase(buy("shoes", "u2", "r2", 1), t + 1, "10.0.0.9");
    Failure f = failureOf(core.purchase(buy("shoes", "u3", "r3", 1), t + 2, "10.0.0.9"));
    assertEquals(ErrorReason.RATE_LIMITED, f.reason());
    assertEquals("client_address", f.metadata().get("limit"));
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "u3", "r3", 1), t + 3, "10.0.0.10"));
  }

  /** A purchase its address's limit refused costs its user nothing: once the address frees up, the user buys. */
  @Test
  void aPurchaseRefusedForItsAddressSpendsNothingOfItsUsersRate() {
    RegionCore core = core(new BuyerLimits.Settings(0.001, 1, 0.001, 1, 100, 1000));
    long t = 1_500_000;
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "u1", "r1", 1), t, "10.0.0.9"));
    Failure f = failureOf(core.purchase(buy("shoes", "u2", "r2", 1), t + 1, "10.0.0.9"));
    assertEquals("client_address", f.metadata().get("limit"));
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "u2", "r2", 1), t + 2, "10.0.0.10"),
        "u2's one token was given back");
  }

  @Test
  void lookUpsCountAgainstTheirAddressOnly() {
    RegionCore core = core(new BuyerLimits.Settings(0, 1, 1, 2, 100, 1000));
    assertEquals(java.util.Optional.empty(), core.admitLookup("10.0.0.5"));
    assertEquals(java.util.Optional.empty(), core.admitLookup("10.0.0.5"));
    assertEquals(ErrorReason.RATE_LIMITED, core.admitLookup("10.0.0.5").orElseThrow().reason());
    assertEquals(java.util.Optional.empty(), core.admitLookup("10.0.0.6"));
    assertEquals(java.util.Optional.empty(), core(BuyerLimits.Settings.defaults()).admitLookup("10.0.0.5"),
        "addresses are not limited by default");
  }

  @Test
  void aUserHoldsAtMostTheCapOfUndecidedPurchasesPerEventUntilOneIsDecided() {
    RegionCore core = core(new BuyerLimits.Settings(0, 1, 0, 1, 2, 1000));
    long t = 1_500_000;
    var first = assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r1", 1), t, ""));
    core.purchase(buy("shoes", "alice", "r2", 1), t + 1, "");
    Failure f = failureOf(core.purchase(buy("shoes", "alice", "r3", 1), t + 2, ""));
    assertEquals(ErrorReason.TOO_MANY_PENDING_FOR_USER, f.reason(), f.message());
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "bob", "b1", 1), t + 3, ""));
    core.decisionsArrived(List.of(won(first.ticket(), 1)));
    assertInstanceOf(Admission.Ticketed.class, core.purchase(buy("shoes", "alice", "r3", 1), t + 4, ""));
  }
}
