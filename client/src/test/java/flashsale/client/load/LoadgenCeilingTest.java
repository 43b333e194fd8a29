package flashsale.client.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Runs the ceiling measurement small and prints the figure (see the surefire output); a
 * measurement, not a timed assertion: it only checks that every request was answered.
 */
class LoadgenCeilingTest {
  @Test
  void measuresBothTransportsWithoutErrors() throws Exception {
    for (LoadgenCeiling.Transport transport : LoadgenCeiling.Transport.values()) {
      LoadgenCeiling.Measurement m = LoadgenCeiling.measure(transport, 20_000, 256);
      System.out.println(m.summary());
      assertEquals(0, m.errors(), m.summary());
      assertTrue(m.requestsPerSecond() > 0, m.summary());
    }
  }
}
