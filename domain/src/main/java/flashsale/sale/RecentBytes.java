package flashsale.sale;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * The newest entries of a bounded table, by string key, each a short run of bytes kept outside
 * the heap; the oldest forgotten first: at most {@code capacity} entries and {@code
 * budgetBytesPerEntry} bytes each on average (key included). The base of {@link RecentDecisions}
 * (a region's decisions for retries, an arbiter's recent decisions per event) and {@link
 * RecentUnits} (an arbiter's winners' units).
 *
 * <p>Why bytes off the heap and not objects: as a map of records, each remembered decision was a
 * dozen small objects (about 360 bytes) that every young collection copied until they were old, so
 * a region deciding 17,000 purchases a second made its collector copy about 50 MB per pause (40–50
 * ms on two cores, the near region's p99). Here an entry is a run of bytes in a direct buffer
 * (outside the heap: a young collection does not copy it even once; in heap arrays, G1 copied each
 * chunk up to 15 times before it was old), and the table is a handful of primitive arrays:
 * nothing per entry for the collector to trace or copy. The buffers count against the JVM's direct
 * memory limit ({@code -XX:MaxDirectMemorySize}, by default the heap's maximum).
 *
 * <p>Layout: entries sit in a ring ({@code positions}, {@code lengths}, {@code hashes}, indexed by
 * sequence number), their bytes in an arena of chunks used as a circular log (an entry never
 * straddles two chunks), and an open-addressing index (linear probing) maps a key's hash to its
 * ring slot. An entry's bytes are its key's length and chars, then the value. Single owner: not
 * safe for concurrent use.
 */
public final class RecentBytes {
  private static final int MIN_CHUNK_BYTES = 64 << 10;
  private static final int MAX_CHUNK_BYTES = 1 << 20;
  private static final int FIRST_RING_SLOTS = 1024;
  private static final int DEAD = -1;

  private final int capacity;
  private final int chunkBytes;
  private final long arenaBytes;
  private final ByteBuffer[] chunks;

  /** Per ring slot: the entry's position in the arena's endless log, its size in bytes (DEAD when replaced or gone), its id's hash. */
  private long[] positions;
  private int[] lengths;
  private int[] hashes;
  /** Ring slot + 1 per cell, 0 for an empty cell; never more than half full. */
  private int[] index;

  /** Sequence numbers: the oldest entry in the ring, and the next one. */
  private long head;
  private long tail;
  private long writePosition;
  private int live;

  public RecentBytes(int capacity, int budgetBytesPerEntry) {
    if (capacity < 1) throw new IllegalArgumentException("capacity < 1: " + capacity);
    if (budgetBytesPerEntry < 1) throw new IllegalArgumentException("budgetBytesPerEntry < 1: " + budgetBytesPerEntry);
    this.capacity = capacity;
    long budget = (long) capacity * budgetBytesPerEntry;
    this.chunkBytes = (int) Math.max(MIN_CHUNK_BYTES, Math.min(MAX_CHUNK_BYTES, Long.highestOneBit(budget - 1) << 1));
    int chunkCount = (int) Math.max(1, (budget + chunkBytes - 1) / chunkBytes);
    this.chunks = new ByteBuffer[chunkCount];
    this.arenaBytes = (long) chunkCount * chunkBytes;
    allocateRing(Math.min(capacity, FIRST_RING_SLOTS));
  }

  /** How many entries are kept. */
  public int size() {
    return live;
  }

  /** The value kept under {@code key}, a copy. */
  public Optional<byte[]> get(String key) {
    int slot = find(key);
    if (slot < 0) return Optional.empty();
    long position = positions[slot];
    int keyBytes = 2 + 2 * key.length();
    byte[] value = new byte[lengths[slot] - keyBytes];
    chunk(position).get(offset(position) + keyBytes, value);
    return Optional.of(value);
  }

  /** Whether {@code key} has a value, without copying it. */
  public boolean contains(String key) {
    return find(key) >= 0;
  }

  /** The first 8 bytes kept under {@code key} as a long, read in place; {@code absent} if none. */
  public long getLong(String key, long absent) {
    int slot = find(key);
    if (slot < 0) return absent;
    long position = positions[slot];
    return chunk(position).getLong(offset(position) + 2 + 2 * key.length());
  }

  /** Keeps {@code value} under {@code key}, in place of any earlier one; false if it is too large to keep. */
  public boolean put(String key, byte[] value) {
    return put(key, value, value.length);
  }

  /** As {@link #put(String, byte[])}, with the value the first {@code length} bytes of {@code value}. */
  public boolean put(String key, byte[] value, int length) {
    if (length < 0 || length > value.length) throw new IndexOutOfBoundsException("length " + length + " of " + value.length);
    int slot = find(key);
    if (slot >= 0) forget(slot);
    return append(key, value, length);
  }

  /** Forgets {@code key}; false if it was not kept. */
  public boolean remove(String key) {
    int slot = find(key);
    if (slot < 0) return false;
    forget(slot);
    return true;
  }

  private boolean append(String key, byte[] value, int length) {
    if (key.length() > 0xFFFF) return false;
    int size = 2 + 2 * key.length() + length;
    if (size > chunkBytes) return false;
    long position = writePosition;
    int room = chunkBytes - offset(position);
    if (size > room) position += room; // to the next chunk's start: an entry never straddles two
    while (tail > head && (tail - head == capacity || positions[slot(head)] < position + size - arenaBytes)) {
      evictOldest();
    }
    if (tail - head == positions.length) allocateRing(Math.min(capacity, 2 * positions.length));
    int chunkIndex = (int) ((position / chunkBytes) % chunks.length);
    if (chunks[chunkIndex] == null) chunks[chunkIndex] = ByteBuffer.allocateDirect(chunkBytes);
    ByteBuffer chunk = chunks[chunkIndex];
    int at = offset(position);
    chunk.putChar(at, (char) key.length());
    at += 2;
    for (int i = 0; i < key.length(); i++, at += 2) chunk.putChar(at, key.charAt(i));
    chunk.put(at, value, 0, length);

    int slot = slot(tail);
    positions[slot] = position;
    lengths[slot] = size;
    hashes[slot] = key.hashCode();
    insert(slot);
    tail++;
    live++;
    writePosition = position + size;
    assert live <= tail - head && tail - head <= capacity : "live " + live + " of " + (tail - head) + ", capacity " + capacity;
    return true;
  }

  private void evictOldest() {
    int slot = slot(head);
    if (lengths[slot] != DEAD) forget(slot);
    head++;
  }

  /** Drops the entry at {@code slot} from the index; its ring slot and bytes stay until the ring passes them. */
  private void forget(int slot) {
    int mask = index.length - 1;
    int cell = spread(hashes[slot]) & mask;
    while (index[cell] != slot + 1) cell = (cell + 1) & mask;
    // Backward-shift deletion: pull later cells of the same probe run into the hole.
    int hole = cell;
    for (int next = (hole + 1) & mask; index[next] != 0; next = (next + 1) & mask) {
      int home = spread(hashes[index[next] - 1]) & mask;
      boolean homeInRange = hole <= next ? hole < home && home <= next : hole < home || home <= next;
      if (!homeInRange) {
        index[hole] = index[next];
        hole = next;
      }
    }
    index[hole] = 0;
    lengths[slot] = DEAD;
    live--;
  }

  private int find(String key) {
    int hash = key.hashCode();
    int mask = index.length - 1;
    for (int cell = spread(hash) & mask; index[cell] != 0; cell = (cell + 1) & mask) {
      int slot = index[cell] - 1;
      if (hashes[slot] == hash && keyEquals(slot, key)) return slot;
    }
    return -1;
  }

  private boolean keyEquals(int slot, String key) {
    long position = positions[slot];
    ByteBuffer chunk = chunk(position);
    int at = offset(position);
    if (chunk.getChar(at) != key.length()) return false;
    at += 2;
    for (int i = 0; i < key.length(); i++, at += 2) {
      if (chunk.getChar(at) != key.charAt(i)) return false;
    }
    return true;
  }

  private void insert(int slot) {
    int mask = index.length - 1;
    int cell = spread(hashes[slot]) & mask;
    while (index[cell] != 0) cell = (cell + 1) & mask;
    index[cell] = slot + 1;
  }

  /** A ring of {@code slots} (the entries keep their sequence numbers) and an index twice its size, rebuilt. */
  private void allocateRing(int slots) {
    long[] oldPositions = positions;
    int[] oldLengths = lengths;
    int[] oldHashes = hashes;
    positions = new long[slots];
    lengths = new int[slots];
    hashes = new int[slots];
    index = new int[Integer.highestOneBit(Math.max(2, 2 * slots - 1)) << 1];
    for (long seq = head; seq < tail; seq++) {
      int from = (int) (seq % oldPositions.length);
      int to = slot(seq);
      positions[to] = oldPositions[from];
      lengths[to] = oldLengths[from];
      hashes[to] = oldHashes[from];
      if (lengths[to] != DEAD) insert(to);
    }
  }

  private int slot(long seq) {
    return (int) (seq % positions.length);
  }

  private ByteBuffer chunk(long position) {
    return chunks[(int) ((position / chunkBytes) % chunks.length)];
  }

  private int offset(long position) {
    return (int) (position % chunkBytes);
  }

  /** Spreads a String hash's bits over the index (murmur3's finalizer). */
  private static int spread(int hash) {
    int h = hash;
    h ^= h >>> 16;
    h *= 0x85ebca6b;
    h ^= h >>> 13;
    h *= 0xc2b2ae35;
    h ^= h >>> 16;
    return h;
  }
}
