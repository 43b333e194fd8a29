package flashsale.sale;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Units per name as one readable line, {@code eu=5,us=5}: how stores keep a shard split or a
 * reservation's slot capacities (region ids and slot names cannot contain {@code =} or {@code ,},
 * see {@code Identifiers.ID}).
 */
public final class NamedUnitsText {
  private NamedUnitsText() {}

  public static String format(Map<String, Long> units) {
    StringBuilder text = new StringBuilder();
    units.forEach((region, n) -> text.append(text.isEmpty() ? "" : ",").append(region).append('=').append(n));
    return text.toString();
  }

  /** The units in the text's order; empty text is none. */
  public static Map<String, Long> parse(String text) {
    Map<String, Long> units = new LinkedHashMap<>();
    if (text.isEmpty()) return units;
    for (String part : text.split(",")) {
      int eq = part.indexOf('=');
      if (eq <= 0) throw new IllegalArgumentException("malformed units '" + text + "'");
      units.put(part.substring(0, eq), Long.parseLong(part.substring(eq + 1)));
    }
    return units;
  }
}
