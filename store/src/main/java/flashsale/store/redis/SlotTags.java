package flashsale.store.redis;

import io.lettuce.core.cluster.SlotHash;

/**
 * For every Redis Cluster slot, a short hash tag that lands in it: an index key tagged with the tag
 * of an event's slot lives beside the event's own keys, so the function that creates the event can
 * write the index in the same atomic call. Tags are {@code "i" + n} (n in base 36) for the smallest
 * n whose tag hashes to the slot: fixed forever, since stored keys are named by them.
 */
final class SlotTags {
  static final int SLOTS = SlotHash.SLOT_COUNT;
  private static final String[] TAGS = computeTags();

  private SlotTags() {}

  static String of(int slot) {
    return TAGS[slot];
  }

  /** The slot of a key, as Redis Cluster computes it (hash tag honoured). */
  static int slotOf(String key) {
    return SlotHash.getSlot(key);
  }

  private static String[] computeTags() {
    String[] tags = new String[SLOTS];
    int missing = SLOTS;
    for (int n = 0; missing > 0; n++) {
      String tag = "i" + Integer.toString(n, 36);
      int slot = SlotHash.getSlot(tag);
      if (tags[slot] == null) {
        tags[slot] = tag;
        missing--;
      }
    }
    return tags;
  }
}
