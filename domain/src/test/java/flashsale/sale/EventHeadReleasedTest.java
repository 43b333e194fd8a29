package flashsale.sale;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The last released ticket's store text: what a new leader reads back, old formats included. */
class EventHeadReleasedTest {
  @Test
  void aNamedNodeSurvivesTheStoreText() {
    var released = new EventHead.Released(1_000, "r1", "u1", "east", 250, "east-2");
    assertEquals(released, EventHead.Released.parse(1_000, released.text()));
    assertEquals("east/east-2", released.asTicket("e").source(), "ordered against the node's own stream");
  }

  @Test
  void theUnnamedNodeWritesTheFourFieldsItAlwaysDid() {
    var released = new EventHead.Released(1_000, "r1", "u1", "east", 250);
    assertEquals("r1\nu1\neast\n250", released.text());
    assertEquals(released, EventHead.Released.parse(1_000, "r1\nu1\neast\n250"));
  }

  @Test
  void aBareRequestIdFromTheOldestFormatStillParses() {
    assertEquals(new EventHead.Released(7, "r9", "", "", 0), EventHead.Released.parse(7, "r9"));
  }
}
