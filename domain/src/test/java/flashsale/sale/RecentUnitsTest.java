package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RecentUnitsTest {
  @Test
  void keepsTheNewestUsersCountsAndForgetsAtZero() {
    var units = new RecentUnits(3);
    units.put("alice", 2);
    units.put("bob", 1);
    units.put("alice", 3); // changed: now the newest
    units.put("carol", 1);
    units.put("dave", 4); // bob, the least recently changed, goes
    assertEquals(3, units.get("alice"));
    assertEquals(0, units.get("bob"), "forgotten reads as none");
    assertEquals(1, units.get("carol"));
    assertEquals(4, units.get("dave"));
    assertEquals(3, units.size());

    units.put("carol", 0);
    assertEquals(0, units.get("carol"));
    assertEquals(2, units.size(), "0 units forgets the user");
    assertThrows(IllegalArgumentException.class, () -> units.put("erin", -1));
  }

  @Test
  void holdsManyUsersAtOnce() {
    var units = new RecentUnits(20_000);
    for (int i = 0; i < 50_000; i++) units.put("user-" + i, 1 + i % 4);
    assertEquals(20_000, units.size());
    assertEquals(0, units.get("user-29999"));
    for (int i = 30_000; i < 50_000; i++) assertEquals(1 + i % 4, units.get("user-" + i), "user-" + i);
  }
}
