package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdentifiersTest {

  /** Short lists are compared pairwise, long ones through a set: both find a repeat wherever it is. */
  @Test
  void anyTwiceFindsARepeatAtEveryPlaceAndLength() {
    for (int n : new int[] {0, 1, 2, 3, 16, 17, 40}) {
      List<String> distinct = new ArrayList<>();
      for (int i = 0; i < n; i++) distinct.add("slot-" + i);
      assertEquals(false, Identifiers.anyTwice(distinct), "n=" + n);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (i == j) continue;
          List<String> repeated = new ArrayList<>(distinct);
          repeated.set(j, new String(distinct.get(i))); // equal, not the same instance
          assertEquals(true, Identifiers.anyTwice(repeated), "n=" + n + " i=" + i + " j=" + j);
        }
      }
    }
  }
}
