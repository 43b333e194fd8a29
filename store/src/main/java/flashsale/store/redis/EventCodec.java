package flashsale.store.redis;

import static java.nio.charset.StandardCharsets.UTF_8;

import flashsale.sale.AuctionRules;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.sale.NamedUnitsText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * An event's meta hash: one readable field per spec value (so {@code redis-cli HGETALL} shows
 * the event) plus the counters the persist function keeps.
 */
final class EventCodec {
  static final String REMAINING = "remaining";
  static final String LAST_RANK = "last_rank";
  static final String SHARD_UNITS = "shard_units";
  static final String SLOTS = "slots";
  /** An auction's rules: units, reserve, increment, currency, soft-close window and cap (micros), comma separated. */
  static final String AUCTION = "auction";
  /** Per slot of a reservation, the units left: {@code slot_left:<name>}, kept by the persist function. */
  static final String SLOT_LEFT = "slot_left:";
  /** {@code 1} when the arbiter opened the event's pools before storing it; absent otherwise (and before this field). */
  static final String POOLS_OPENED = "pools_opened_at_creation";

  private EventCodec() {}

  /** Field/value pairs of a new event's meta hash. */
  static List<byte[]> fields(EventSpec spec) {
    List<byte[]> fields = new ArrayList<>();
    put(fields, "event_id", spec.eventId());
    put(fields, "item", spec.item());
    put(fields, "stock", Long.toString(spec.stock()));
    put(fields, "start_micros", Long.toString(spec.startMicros()));
    put(fields, "end_micros", Long.toString(spec.endMicros()));
    put(fields, "per_user_limit", Integer.toString(spec.perUserLimit()));
    put(fields, "regions", String.join(",", spec.regions()));
    put(fields, "mode", spec.mode().name());
    put(fields, "tie_break_seed", Long.toString(spec.tieBreakSeed()));
    if (!spec.shardUnits().isEmpty()) put(fields, SHARD_UNITS, NamedUnitsText.format(spec.shardUnits()));
    if (!spec.slots().isEmpty()) put(fields, SLOTS, NamedUnitsText.format(spec.slots()));
    spec.slots().forEach((slot, capacity) -> put(fields, SLOT_LEFT + slot, Long.toString(capacity)));
    spec.auction().ifPresent(a -> put(fields, AUCTION, a.units() + "," + a.reservePriceMinor() + "," + a.minIncrementMinor()
        + "," + a.currencyCode() + "," + a.softCloseWindowMicros() + "," + a.softCloseCapMicros()));
    if (spec.poolsOpenedAtCreation()) put(fields, POOLS_OPENED, "1");
    put(fields, REMAINING, Long.toString(spec.stock()));
    put(fields, LAST_RANK, "0");
    put(fields, "last_batch_sequence", "0");
    return fields;
  }

  static EventSpec spec(Map<String, String> meta) {
    return new EventSpec(
        meta.get("event_id"),
        meta.get("item"),
        Long.parseLong(meta.get("stock")),
        Long.parseLong(meta.get("start_micros")),
        Long.parseLong(meta.get("end_micros")),
        Integer.parseInt(meta.get("per_user_limit")),
        Arrays.asList(meta.get("regions").split(",")),
        SaleMode.valueOf(meta.get("mode")),
        Long.parseLong(meta.get("tie_break_seed")),
        NamedUnitsText.parse(meta.getOrDefault(SHARD_UNITS, "")),
        NamedUnitsText.parse(meta.getOrDefault(SLOTS, "")), // absent in events stored before reservations
        Optional.ofNullable(meta.get(AUCTION)).map(EventCodec::auction), // absent in events stored before auctions
        "1".equals(meta.get(POOLS_OPENED)));
  }

  private static AuctionRules auction(String text) {
    String[] p = text.split(",", -1);
    if (p.length != 6) throw new IllegalStateException("stored auction rules '" + text + "' are not 6 fields");
    return new AuctionRules(Integer.parseInt(p[0]), Long.parseLong(p[1]), Long.parseLong(p[2]), p[3],
        Long.parseLong(p[4]), Long.parseLong(p[5]));
  }

  /** The head the persist function keeps in the meta hash (counters absent before the first batch). */
  static EventHead head(Map<String, String> meta) {
    EventSpec spec = spec(meta);
    String soldOut = meta.get("sold_out_micros");
    String releasedStamp = meta.get("released_stamp");
    return new EventHead(
        spec,
        Long.parseLong(meta.get(REMAINING)),
        Long.parseLong(meta.get(LAST_RANK)),
        Long.parseLong(meta.getOrDefault("wins", "0")),
        Long.parseLong(meta.getOrDefault("late", "0")),
        soldOut == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(soldOut)),
        releasedStamp == null ? Optional.empty()
            : Optional.of(EventHead.Released.parse(Long.parseLong(releasedStamp), meta.get("released_ticket"))),
        slotsLeft(spec, meta));
  }

  private static Map<String, Long> slotsLeft(EventSpec spec, Map<String, String> meta) {
    Map<String, Long> left = new java.util.LinkedHashMap<>();
    for (String slot : spec.slots().keySet()) left.put(slot, Long.parseLong(meta.get(SLOT_LEFT + slot)));
    return left;
  }

  /** A hash as a function returns it: a flat list of field, value, field, value... */
  static Map<String, String> pairs(List<?> flat) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      map.put(text(flat.get(i)), text(flat.get(i + 1)));
    }
    return map;
  }

  static Map<String, String> strings(Map<String, byte[]> hash) {
    Map<String, String> map = new HashMap<>();
    hash.forEach((field, value) -> map.put(field, new String(value, UTF_8)));
    return map;
  }

  static String text(Object bulk) {
    return new String((byte[]) bulk, UTF_8);
  }

  private static void put(List<byte[]> fields, String field, String value) {
    fields.add(field.getBytes(UTF_8));
    fields.add(value.getBytes(UTF_8));
  }
}
