package flashsale.store;

import static flashsale.store.Sales.batch;
import static flashsale.store.Sales.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Fencing across two writers of one shared store (two arbiter processes), which only a shared
 * store has: an epoch counter rolled back by a failover can hand the same epoch to two leaders,
 * and only the first to claim an event may write it.
 */
final class FencingChecks {
  private FencingChecks() {}

  static void equalEpochOfAnotherWriterIsFenced(ArbiterStore first, ArbiterStore second) throws Exception {
    first.createEvent("c", event("twice", 10, 5));
    first.fenceEvent("twice", 5);
    first.persistBatch(batch("twice", 1, 1).win("r1", "u1", 1).build(), 5).get(30, TimeUnit.SECONDS);

    StoreFencedException claim = assertThrows(StoreFencedException.class, () -> second.fenceEvent("twice", 5));
    assertEquals(5, claim.claimedEpoch(), "tells the epoch to go above");
    ExecutionException write = assertThrows(ExecutionException.class,
        () -> second.persistBatch(batch("twice", 2, 2).win("r2", "u2", 1).build(), 5).get(30, TimeUnit.SECONDS));
    assertInstanceOf(StoreFencedException.class, write.getCause());
    assertEquals(9, first.loadHead("twice").remainingStock(), "the other writer wrote nothing");

    first.fenceEvent("twice", 5); // the holder claiming again is fine
    second.fenceEvent("twice", 6); // a higher epoch takes over
    ExecutionException stale = assertThrows(ExecutionException.class,
        () -> first.persistBatch(batch("twice", 2, 2).win("r3", "u3", 1).build(), 5).get(30, TimeUnit.SECONDS));
    assertInstanceOf(StoreFencedException.class, stale.getCause());
    second.persistBatch(batch("twice", 2, 2).win("r2", "u2", 1).build(), 6).get(30, TimeUnit.SECONDS);
    assertEquals(8, second.loadHead("twice").remainingStock());
  }
}
