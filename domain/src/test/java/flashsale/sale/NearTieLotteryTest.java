package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NearTieLotteryTest {

  /** Values from Python's hmac module: what an auditor with another crypto library recomputes. */
  @Test
  void drawMatchesAnIndependentHmacSha256() {
    assertEquals(3346262163769593991L, NearTieLottery.draw(99, "bench", "user-7"));
    assertEquals(7422583845138281482L, NearTieLottery.draw(-3, "sale-ä", "ユーザー"));
  }

  /** The sequencer's keyed-once draws give every user the published draw, however many it draws in a row. */
  @Test
  void eventDrawsEqualTheDefinition() {
    Random random = new Random(13);
    for (long seed : new long[] {0, 99, -3, random.nextLong()}) {
      for (String eventId : List.of("bench", "sale-ä")) {
        NearTieLottery.EventDraws draws = NearTieLottery.drawsOf(seed, eventId);
        List<String> users = List.of("user-7", "", "ユーザー", "u".repeat(200), "user-7", "x:y");
        for (String user : users) {
          assertEquals(NearTieLottery.draw(seed, eventId, user), draws.draw(user),
              "seed=" + seed + " event=" + eventId + " user=" + user);
        }
        for (int i = 0; i < 200; i++) {
          String user = "user-" + random.nextInt(1_000_000);
          assertEquals(NearTieLottery.draw(seed, eventId, user), draws.draw(user), "seed=" + seed + " user=" + user);
        }
      }
    }
  }

  /** One user's two tickets share a draw: the earlier stamp goes first, as the arbiter's merge has it, whatever the ids. */
  @Test
  void oneUsersNearTieGoesByStampThenRequestId() {
    Ticket later = new Ticket("e", "r-a", "u", 1, "Y", 101);
    Ticket earlier = new Ticket("e", "r-b", "u", 1, "X", 100);
    org.junit.jupiter.api.Assertions.assertTrue(NearTieLottery.drawsFirst(7, earlier, later));
    org.junit.jupiter.api.Assertions.assertFalse(NearTieLottery.drawsFirst(7, later, earlier));
    Ticket sameStamp = new Ticket("e", "r-c", "u", 1, "Z", 100);
    org.junit.jupiter.api.Assertions.assertTrue(NearTieLottery.drawsFirst(7, earlier, sameStamp), "then r-b before r-c");
  }
}
