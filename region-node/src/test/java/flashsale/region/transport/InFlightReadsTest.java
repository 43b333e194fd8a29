package flashsale.region.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class InFlightReadsTest {
  @Test
  void theOldestUnreleasedReadHoldsTheWatermarkWhateverOrderTheyAreReleasedIn() {
    var reads = new InFlightReads();
    assertEquals(InFlightReads.NONE, reads.oldestMicros());
    var first = reads.begin(() -> 100);
    var second = reads.begin(() -> 200);
    var third = reads.begin(() -> 300);
    second.release();
    assertEquals(100, reads.oldestMicros(), "a later read released first does not move it");
    first.release();
    assertEquals(300, reads.oldestMicros(), "the released ones in front leave");
    third.release();
    third.release(); // once is enough; again does nothing
    assertEquals(InFlightReads.NONE, reads.oldestMicros());
    assertEquals(0, reads.size());
  }

  @Test
  void aBegunReadIsHeldAtItsClockAndItsPurchasesBehindIt() {
    var reads = new InFlightReads();
    var read = reads.begin(() -> 700);
    assertEquals(700, read.readMicros());
    var purchase = read.hold();
    read.release(); // decoded
    assertEquals(700, reads.oldestMicros(), "its purchase holds it until stamped");
    purchase.release();
    assertEquals(InFlightReads.NONE, reads.oldestMicros());
  }

  /** Two purchases of one read, stamped by other threads: the read stays held until both are, each counted once. */
  @Test
  void aReadStaysHeldUntilEveryPurchaseItCarriedIsReleasedEachOnce() throws Exception {
    var reads = new InFlightReads();
    var read = reads.begin(() -> 300);
    var first = read.hold();
    var second = read.hold();
    assertEquals(300, second.readMicros());
    read.release(); // decoded
    Thread stamper = Thread.ofPlatform().start(() -> {
      first.release();
      first.release(); // again: must not stand for the second
    });
    stamper.join();
    assertEquals(300, reads.oldestMicros(), "the second purchase still holds its read");
    second.release();
    assertEquals(InFlightReads.NONE, reads.oldestMicros());
  }

  /** A watermark that finds a read still reading its clock waits for that time instead of passing it. */
  @Test
  void aScanWaitsForABegunReadStillReadingItsClock() throws Exception {
    var reads = new InFlightReads();
    var inClock = new CountDownLatch(1);
    var letClockAnswer = new CountDownLatch(1);
    Thread reader = Thread.ofPlatform().start(() -> reads.begin(() -> {
      inClock.countDown();
      try {
        letClockAnswer.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return 900;
    }));
    inClock.await();
    var oldest = new java.util.concurrent.CompletableFuture<Long>();
    Thread.ofPlatform().start(() -> oldest.complete(reads.oldestMicros()));
    Thread.sleep(50);
    assertTrue(!oldest.isDone(), "the scan went on without the begun read's time");
    letClockAnswer.countDown();
    assertEquals(900, oldest.get(5, java.util.concurrent.TimeUnit.SECONDS));
    reader.join();
  }

  @Test
  void aLaneNobodyScansStaysShort() {
    var reads = new InFlightReads();
    for (int i = 0; i < 10_000; i++) reads.begin(() -> 5).release();
    assertTrue(reads.laneLength() <= 1, "released reads kept: " + reads.laneLength());
  }

  @Test
  void aClockSteppingBackHoldsTheLaterTimeSoTheLaneStaysInOrder() {
    var reads = new InFlightReads();
    reads.begin(() -> 500);
    var stepped = reads.begin(() -> 400);
    assertEquals(500, stepped.readMicros());
    assertEquals(500, reads.oldestMicros());
  }

  @Test
  void eachThreadsReadsCountWhereverTheyAreAdded() throws Exception {
    var reads = new InFlightReads();
    var early = new AtomicReference<InFlightReads.Read>();
    Thread other = Thread.ofPlatform().start(() -> early.set(reads.begin(() -> 50)));
    other.join();
    var late = reads.begin(() -> 70);
    assertEquals(50, reads.oldestMicros());
    early.get().release();
    assertEquals(70, reads.oldestMicros());
    late.release();
    assertEquals(InFlightReads.NONE, reads.oldestMicros());
  }

  @Test
  void aDeadThreadsEmptyLaneIsDropped() throws Exception {
    var reads = new InFlightReads();
    for (int i = 0; i < 100; i++) {
      Thread t = Thread.ofPlatform().start(() -> reads.begin(() -> 10).release());
      t.join();
    }
    assertEquals(InFlightReads.NONE, reads.oldestMicros());
    assertEquals(0, reads.lanes(), "lanes of threads that are gone");
  }

  /**
   * Readers add and release while a loop thread reads the oldest: it never reports a time later
   * than a read that was added (and seen added) before the call and is still unreleased.
   */
  @Test
  void underConcurrentUseTheOldestNeverPassesAnUnreleasedRead() throws Exception {
    var reads = new InFlightReads();
    var open = ConcurrentHashMap.<InFlightReads.Read>newKeySet();
    var stop = new AtomicBoolean();
    var failures = new ArrayList<String>();
    List<Thread> readers = new ArrayList<>();
    var started = new CountDownLatch(3);
    for (int t = 0; t < 3; t++) {
      readers.add(Thread.ofPlatform().start(() -> {
        started.countDown();
        long micros = 0;
        List<InFlightReads.Read> mine = new ArrayList<>();
        while (!stop.get()) {
          long readMicros = micros += 1 + (micros % 3);
          var read = reads.begin(() -> readMicros);
          open.add(read);
          mine.add(read);
          if (mine.size() > 20) {
            var done = mine.remove((int) (micros % mine.size()));
            open.remove(done);
            done.release();
          }
        }
        mine.forEach(r -> {
          open.remove(r);
          r.release();
        });
      }));
    }
    started.await();
    long deadline = System.nanoTime() + 300_000_000L;
    while (System.nanoTime() < deadline) {
      List<InFlightReads.Read> before = new ArrayList<>(open);
      long oldest = reads.oldestMicros();
      for (var read : before) {
        // open before the call: unless released since, the answer may not pass it
        if (oldest > read.readMicros() && open.contains(read)) {
          failures.add("oldest " + oldest + " passed the open read at " + read.readMicros());
        }
      }
    }
    stop.set(true);
    for (Thread t : readers) t.join();
    assertTrue(failures.isEmpty(), failures.size() + " violations, first: " + (failures.isEmpty() ? "" : failures.get(0)));
    assertEquals(InFlightReads.NONE, reads.oldestMicros());
  }
}
