package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RecentDecisionsTest {

  private static Decision decision(String requestId, long rank, String user) {
    var ticket = new Ticket("event-" + (rank % 3), requestId, user, 1 + (int) (rank % 2), "near", 1_000_000 + rank,
        rank % 7, List.of(), 0, rank % 2 == 0 ? "" : "node-" + rank);
    return rank % 4 == 0
        ? new Decision(ticket, Outcome.LOST, LossReason.SOLD_OUT, rank, 2_000_000 + rank, rank % 5 == 0, true)
        : new Decision(ticket, Outcome.WON, LossReason.NONE, rank, 2_000_000 + rank, false, false);
  }

  @Test
  void everyKindOfDecisionComesBackEqual() {
    var table = new RecentDecisions(10);
    var reservation = new Decision(
        new Ticket("hotel", "r-1", "ann", 2, "far", 5, 3, List.of("mon", "tue"), 0, "far-2"),
        Outcome.WON, LossReason.NONE, 4, 9, true, true, "tue");
    var bid = Decision.ofBid(Ticket.bid("lot", "b-1", "bob", 1_500, "near", 7, 0),
        new BidVerdict(BidAnswer.OUTBID, 1_600, 99), 2, 11, false);
    // Ids no UTF-8 codec keeps apart: a lone surrogate and the replacement character it would become.
    var odd = decision("\uD800", 1, "\u00e9\u4e2d");
    var other = decision("\uFFFD", 2, "x");
    for (Decision d : List.of(reservation, bid, odd, other)) assertTrue(table.put(d.ticket().requestId(), d));
    for (Decision d : List.of(reservation, bid, odd, other)) {
      assertEquals(Optional.of(d), table.get(d.ticket().requestId()));
    }
    assertEquals(4, table.size());
    assertEquals(Optional.empty(), table.get("r-2"));
  }

  /** Against a model (insertion order, the oldest forgotten past capacity), through many wraps of the ring and arena. */
  @Test
  void remembersExactlyTheNewestCapacityDecisions() {
    int capacity = 1_000;
    var table = new RecentDecisions(capacity);
    var model = new LinkedHashMap<String, Decision>();
    var random = new Random(7);
    var ids = new ArrayList<String>();
    for (int i = 0; i < 200_000; i++) {
      if (!ids.isEmpty() && random.nextInt(10) == 0) {
        // a decision for an id seen before (kept or already forgotten): never replaces a kept one
        String id = ids.get(random.nextInt(ids.size()));
        Decision d = decision(id, 1_000_000 + i, "u" + i);
        table.putIfAbsent(id, d);
        if (!model.containsKey(id)) model.put(id, d);
      } else {
        String id = "req-" + i + "-" + random.nextInt(1_000);
        ids.add(id);
        Decision d = decision(id, i + 1, "user-" + random.nextInt(50_000));
        assertTrue(table.put(id, d));
        model.put(id, d);
      }
      while (model.size() > capacity) model.remove(model.keySet().iterator().next());
      if (i % 997 == 0) {
        assertEquals(model.size(), table.size(), "size after " + i);
        for (Map.Entry<String, Decision> e : model.entrySet()) assertEquals(Optional.of(e.getValue()), table.get(e.getKey()));
        String forgotten = ids.get(random.nextInt(ids.size()));
        assertEquals(Optional.ofNullable(model.get(forgotten)), table.get(forgotten), forgotten);
      }
    }
  }

  /**
   * Keys stored a byte per char beside keys stored two bytes per char, with equal hashes ("Aa" and
   * "BB") and equal low bytes ("A" and U+0141): each finds its own entry, and a removal only its own.
   */
  @Test
  void keysOfEqualHashOrEqualLowBytesStayApart() {
    List<String> keys = List.of("Aa", "BB", "AaAa", "BBBB", "AaBB", "BBAa", "A", "\u0141", "\u0141a", "A\u0161",
        "\u00ff", "\u01ff", "", "\u00ff\u001f", "\u0100\u0000");
    assertEquals("Aa".hashCode(), "BB".hashCode());
    // equal hashes, one key a byte per char and the other two: told apart by the header's bit
    assertEquals("\u00ff\u001f".hashCode(), "\u0100\u0000".hashCode());
    var table = new RecentBytes(100, 64);
    for (int i = 0; i < keys.size(); i++) assertTrue(table.put(keys.get(i), new byte[] {(byte) i}));
    for (int i = 0; i < keys.size(); i++) {
      assertEquals(i, table.get(keys.get(i)).orElseThrow()[0], keys.get(i));
      assertTrue(table.contains(keys.get(i)));
    }
    assertFalse(table.contains("\u0142a"));
    assertTrue(table.remove("BB"));
    assertTrue(table.remove("\u0141"));
    for (int i = 0; i < keys.size(); i++) {
      String key = keys.get(i);
      boolean removed = key.equals("BB") || key.equals("\u0141");
      assertEquals(!removed, table.contains(key), key);
      if (!removed) assertEquals(i, table.get(key).orElseThrow()[0], key);
    }
    assertEquals(keys.size() - 2, table.size());
  }

  @Test
  void aLaterPutReplacesAndPutIfAbsentKeeps() {
    var table = new RecentDecisions(100);
    Decision first = decision("a", 1, "ann");
    Decision second = decision("a", 2, "ann");
    table.put("a", first);
    table.putIfAbsent("a", second);
    assertEquals(Optional.of(first), table.get("a"));
    table.put("a", second);
    assertEquals(Optional.of(second), table.get("a"));
    assertEquals(1, table.size());
  }

  /** Large decisions: the byte budget, not the count, decides how many stay, and those are the newest. */
  @Test
  void theByteBudgetForgetsTheOldestFirst() {
    int capacity = 100; // a budget of 25,600 bytes: the smallest arena, 64 KiB, holds about 30 of these
    var table = new RecentDecisions(capacity);
    String longUser = "u".repeat(1_000);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      String id = "big-" + i;
      ids.add(id);
      assertTrue(table.put(id, decision(id, i + 1, longUser + i)));
    }
    int kept = table.size();
    assertTrue(kept > 10 && kept < capacity, "kept " + kept);
    for (int i = 0; i < ids.size(); i++) {
      boolean newest = i >= ids.size() - kept;
      assertEquals(newest, table.get(ids.get(i)).isPresent(), ids.get(i));
    }
    assertEquals(decision("big-499", 500, longUser + 499), table.get("big-499").orElseThrow());
  }

  @Test
  void aDecisionLargerThanAChunkIsNotKept() {
    var table = new RecentDecisions(1); // the smallest arena: one chunk of 64 KiB
    assertFalse(table.put("long", decision("long", 1, "u".repeat(70_000))), "a string over 65,535 bytes");
    var twoLongStrings = new Ticket("e", "huge", "u".repeat(40_000), 1, "near", 1, 0, List.of(), 0, "n".repeat(40_000));
    assertFalse(table.put("huge", new Decision(twoLongStrings, Outcome.WON, LossReason.NONE, 1, 2, false)),
        "80,000 bytes: larger than a chunk");
    assertEquals(0, table.size());
    assertTrue(table.put("small", decision("small", 2, "u")));
    assertEquals(1, table.size());
  }
}
