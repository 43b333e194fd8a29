package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The bench's pause report: a collection this JVM makes shows in it; concurrent cycles do not. */
class GcPausesTest {
  @Test
  void anExplicitCollectionShowsAsAPauseAndRestartForgetsIt() throws InterruptedException {
    try (GcPauses gc = GcPauses.start()) {
      assertEquals("no stop-the-world collection", gc.summary());
      System.gc();
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (gc.pauses().isEmpty() && System.nanoTime() < deadline) Thread.sleep(10); // notified on another thread
      assertFalse(gc.pauses().isEmpty(), "System.gc() was not reported");
      assertTrue(gc.summary().matches("\\d+ stop-the-world collection\\(s\\), \\d+ ms in all, the longest \\d+ ms \\(.+\\)"),
          gc.summary());
      gc.restart();
      assertTrue(gc.pauses().isEmpty());
    }
  }

  @Test
  void concurrentCollectorsAreNotPauses() {
    assertTrue(GcPauses.pausesTheWorld("G1 Young Generation"));
    assertTrue(GcPauses.pausesTheWorld("ZGC Minor Pauses"));
    assertFalse(GcPauses.pausesTheWorld("G1 Concurrent GC"));
    assertFalse(GcPauses.pausesTheWorld("ZGC Major Cycles"));
  }
}
