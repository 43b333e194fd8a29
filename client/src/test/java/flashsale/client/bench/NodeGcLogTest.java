package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class NodeGcLogTest {
  @Test
  void readsTheCollectionsThatEndedInTheWindowWithOrWithoutTags() throws Exception {
    var file = Files.createTempFile("node-gc-", ".log");
    Files.writeString(file, String.join("\n",
        "[2026-12-05T07:24:58.208+0000][gc] GC(0) Major Collection (Warmup) 104M(10%)->54M(5%) 0.187s",
        "[2026-12-05T07:25:18.597+0000][gc] GC(3) Minor Collection (Allocation Rate)",
        "[2026-12-05T07:25:18.982+0000] GC(3) Minor Collection (Allocation Rate) 922M(90%)->140M(14%) 0.386s",
        "[2026-12-05T07:25:19.941+0000][gc          ] GC(6) Pause Young (Normal) (G1 Evacuation Pause) 61M->22M(84M) 22.386ms",
        "[2026-12-05T07:25:40.000+0000][gc] GC(7) Minor Collection (Proactive) 300M(30%)->100M(10%) 0.100s",
        ""));
    var found = NodeGcLog.endedBetween(file, Instant.parse("2026-12-05T07:25:10Z"), Instant.parse("2026-12-05T07:25:30Z"));
    assertEquals(List.of(
        new NodeGcLog.Collection(Instant.parse("2026-12-05T07:25:18.982Z"),
            "Minor Collection (Allocation Rate) 922M(90%)->140M(14%) 0.386s"),
        new NodeGcLog.Collection(Instant.parse("2026-12-05T07:25:19.941Z"),
            "Pause Young (Normal) (G1 Evacuation Pause) 61M->22M(84M) 22.386ms")), found);
  }

  @Test
  void aMissingFileHasNoCollections() throws Exception {
    assertEquals(List.of(), NodeGcLog.endedBetween(Files.createTempDirectory("none").resolve("gc.log"), Instant.EPOCH,
        Instant.now()));
  }

  @Test
  void theHeapLeftByTheLastCollectionOfEitherCollector() throws Exception {
    var file = Files.createTempFile("node-gc-", ".log");
    Files.writeString(file, String.join("\n",
        "[2026-12-05T07:25:18.597+0000][gc] GC(3) Minor Collection (Allocation Rate)",
        "[2026-12-05T07:25:18.982+0000] GC(3) Minor Collection (Allocation Rate) 922M(90%)->140M(14%) 0.386s",
        "[2026-12-05T07:25:19.941+0000][gc          ] GC(6) Pause Young (Normal) (G1 Evacuation Pause) 61M->22M(84M) 22.386ms",
        "[2026-12-05T07:25:20.000+0000][gc] Using The Z Garbage Collector",
        ""));
    assertEquals(java.util.Optional.of("22M"), NodeGcLog.heapAfterLast(file));
    Files.writeString(file, "[2026-12-05T07:25:18.982+0000] GC(3) Minor Collection (Allocation Rate) 922M(90%)->140M(14%) 0.386s\n");
    assertEquals(java.util.Optional.of("140M"), NodeGcLog.heapAfterLast(file));
    Files.writeString(file, "[2026-12-05T07:25:20.000+0000][gc] Using The Z Garbage Collector\n");
    assertEquals(java.util.Optional.empty(), NodeGcLog.heapAfterLast(file));
    assertEquals(java.util.Optional.empty(), NodeGcLog.heapAfterLast(file.resolveSibling("missing-gc.log")));
  }
}
