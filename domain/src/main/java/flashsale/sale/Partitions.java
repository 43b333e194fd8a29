package flashsale.sale;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * How events are split among arbiter leaders: each event id hashes to one of {@code count}
 * partitions, and each partition has its own lease, fencing epoch and sequencer. The hash is
 * CRC-32 of the id's UTF-8 bytes, so every node (and every language) computes the same partition.
 * One partition is the classic single leader.
 */
public record Partitions(int count) {
  /** Upper bound: each partition is a lease, a sequencer and a stream per region node. */
  public static final int MAX = 1024;

  public static final Partitions ONE = new Partitions(1);

  public Partitions {
    if (count < 1 || count > MAX) throw new IllegalArgumentException("partitions must be 1.." + MAX + ", got " + count);
  }

  /** The partition of {@code eventId}, in {@code [0, count)}. */
  public int of(String eventId) {
    if (count == 1) return 0;
    CRC32 crc = new CRC32();
    crc.update(eventId.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() % count);
  }

  /** Partition {@code index} of these. */
  public Partition partition(int index) {
    return new Partition(index, count);
  }

  /** True when {@code partition} is one of these. */
  public boolean contains(int partition) {
    return partition >= 0 && partition < count;
  }

  /**
   * The most partitions one of {@code liveArbiters} should lead: an even split, rounded up. A node
   * leading more gives the extra up so a newcomer can take it; one at its share acquires no more.
   */
  public int fairShare(int liveArbiters) {
    int live = Math.max(1, liveArbiters);
    return (count + live - 1) / live;
  }
}
