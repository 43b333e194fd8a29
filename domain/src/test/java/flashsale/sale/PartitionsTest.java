package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PartitionsTest {

  @Test
  void oneEventAlwaysHashesToTheSamePartitionAndEveryPartitionGetsSome() {
    Partitions eight = new Partitions(8);
    // CRC-32("sale-1") = 0xD63E9B94 = 3594427284; % 8 = 4 (Python: zlib.crc32(b"sale-1") % 8).
    assertEquals(4, eight.of("sale-1"));
    assertEquals(eight.of("sale-1"), new Partitions(8).of("sale-1"));
    int[] perPartition = new int[8];
    IntStream.range(0, 800).forEach(i -> perPartition[eight.of("event-" + i)]++);
    for (int n : perPartition) assertTrue(n > 50 && n < 150, "uneven split: " + java.util.Arrays.toString(perPartition));
  }

  @Test
  void onePartitionIsTheSingleLeader() {
    assertEquals(0, Partitions.ONE.of("anything"));
    assertEquals(1, Partitions.ONE.fairShare(3));
  }

  @Test
  void fairShareRoundsUpSoEveryPartitionHasALeader() {
    Partitions eight = new Partitions(8);
    assertEquals(8, eight.fairShare(1));
    assertEquals(4, eight.fairShare(2));
    assertEquals(3, eight.fairShare(3));
    assertEquals(1, eight.fairShare(20));
    assertEquals(8, eight.fairShare(0));
  }

  @Test
  void refusesNonsense() {
    assertThrows(IllegalArgumentException.class, () -> new Partitions(0));
    assertThrows(IllegalArgumentException.class, () -> new Partitions(Partitions.MAX + 1));
  }
}
