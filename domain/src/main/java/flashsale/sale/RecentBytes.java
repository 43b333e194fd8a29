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
 * ring slot. An entry's bytes are a 2-byte key header (its length in chars, the top bit set when
 * every char fits in a byte), the key (a byte per char then, else two), then the value. Ids are
 * ASCII, so keys take a byte per char, written and compared in bulk: half the bytes of two per
 * char (105 bytes of direct memory per remembered decision instead of 120; the sequencer core's
 * speed did not move, docs/measurements.md, twenty-ninth session). Single owner: not safe for
 * concurrent use.
 */
public final class RecentBytes {
  private static final int MIN_CHUNK_BYTES = 64 << 10;
  private static final int MAX_CHUNK_BYTES = 1 << 20;
  private static final int FIRST_RING_SLOTS = 1024;
  private static final int DEAD = -1;
  /** Key header bit: the key is stored a byte per char. */
  private static final int LATIN1 = 0x8000;
  private static final int MAX_KEY_CHARS = 0x7FFF;

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

  /** The key last looked up or written, a byte per char (when it fits), and a stored key read back to compare. */
  private byte[] keyScratch = new byte[64];
  private byte[] storedScratch = new byte[64];

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
    int keyBytes = keyBytes(chunk(position).getChar(offset(position)));
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
    ByteBuffer chunk = chunk(position);
    int at = offset(position);
    return chunk.getLong(at + keyBytes(chunk.getChar(at)));
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
    if (key.length() > MAX_KEY_CHARS) return false;
    int header = header(key);
    int size = keyBytes(header) + length;
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
    chunk.putChar(at, (char) header);
    at += 2;
    if ((header & LATIN1) != 0) {
      int chars = latin1(key);
      chunk.put(at, keyScratch, 0, chars);
      at += chars;
    } else {
      for (int i = 0; i < key.length(); i++, at += 2) chunk.putChar(at, key.charAt(i));
    }
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
    if (key.length() > MAX_KEY_CHARS) return -1; // never kept
    int hash = key.hashCode();
    int mask = index.length - 1;
    int header = -1; // worked out at the first entry with the same hash
    for (int cell = spread(hash) & mask; index[cell] != 0; cell = (cell + 1) & mask) {
      int slot = index[cell] - 1;
      if (hashes[slot] != hash) continue;
      if (header < 0) {
        header = header(key);
        if ((header & LATIN1) != 0) latin1(key);
      }
      if (keyEquals(slot, key, header)) return slot;
    }
    return -1;
  }

  /** Whether the entry at {@code slot} has {@code key} (its {@link #header}; its bytes in keyScratch when a byte per char). */
  private boolean keyEquals(int slot, String key, int header) {
    long position = positions[slot];
    ByteBuffer chunk = chunk(position);
    int at = offset(position);
    if (chunk.getChar(at) != header) return false;
    at += 2;
    int chars = header & MAX_KEY_CHARS;
    if ((header & LATIN1) != 0) {
      if (storedScratch.length < chars) storedScratch = new byte[Math.max(chars, 2 * storedScratch.length)];
      chunk.get(at, storedScratch, 0, chars);
      return java.util.Arrays.equals(storedScratch, 0, chars, keyScratch, 0, chars);
    }
    for (int i = 0; i < chars; i++, at += 2) {
      if (chunk.getChar(at) != key.charAt(i)) return false;
    }
    return true;
  }

  /** A key's 2-byte header: its length in chars, with {@link #LATIN1} when every char fits in a byte. */
  private static int header(String key) {
    int chars = key.length();
    for (int i = 0; i < chars; i++) {
      if (key.charAt(i) > 0xFF) return chars;
    }
    return chars | LATIN1;
  }

  /** The bytes an entry's header and key take, from its header. */
  private static int keyBytes(int header) {
    int chars = header & MAX_KEY_CHARS;
    return 2 + ((header & LATIN1) != 0 ? chars : 2 * chars);
  }

  /** Puts {@code key}, whose chars all fit in a byte, into keyScratch a byte per char; returns its length. */
  @SuppressWarnings("deprecation") // String.getBytes(int, int, byte[], int): the low byte of each char, what is wanted here
  private int latin1(String key) {
    int chars = key.length();
    if (keyScratch.length < chars) keyScratch = new byte[Math.max(chars, 2 * keyScratch.length)];
    key.getBytes(0, chars, keyScratch, 0);
    return chars;
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
