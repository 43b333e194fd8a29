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

  /** The loops that check every purchase's ids agree with the documented patterns, edges included. */
  @Test
  void idChecksAgreeWithTheirPatterns() {
    java.util.Random random = new java.util.Random(7);
    String alphabet = "aZ09._:-{} \t\u007f\u0080é!~\u0000" + "\uD83D\uDE00"; // a surrogate pair too
    List<String> samples = new ArrayList<>(List.of("", "a", "a".repeat(64), "a".repeat(65), "!".repeat(128),
        "!".repeat(129), " ", "a b", "ev{1}"));
    for (int i = 0; i < 20_000; i++) {
      int length = random.nextInt(0, 140);
      StringBuilder b = new StringBuilder();
      for (int k = 0; k < length; k++) b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      samples.add(b.toString());
      samples.add("x".repeat(random.nextInt(0, 130)));
    }
    for (String s : samples) {
      assertEquals(Identifiers.ID.matcher(s).matches(), Identifiers.isId(s), "id '" + s + "'");
      assertEquals(Identifiers.REQUEST_ID.matcher(s).matches(), Identifiers.isRequestId(s), "request id '" + s + "'");
    }
  }
}
