package flashsale.client.load;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;

/**
 * Load results as CSV (RFC 4180 quoting, one header line, one row per request), the format the
 * {@code report} command and spreadsheets read.
 */
final class ResultsCsv {
  static final List<String> HEADER =
      List.of(
          "request_id", "user_id", "region", "send_micros", "client_delay_micros", "outcome",
          "rank", "arrival_micros", "decide_micros", "latency_micros", "error_code", "wire_micros",
          "slots_asked", "slot_won");
  /** Files written before reservations have no slot columns; they read as flash sales. */
  static final List<String> HEADER_WITHOUT_SLOTS = HEADER.subList(0, 12);
  /** Files written before taps existed have no wire_micros column either; they read with 0. */
  static final List<String> HEADER_WITHOUT_WIRE = HEADER.subList(0, 11);

  private ResultsCsv() {}

  static void write(Writer out, List<RequestRecord> records) throws IOException {
    out.write(String.join(",", HEADER));
    out.write('\n');
    for (RequestRecord r : records) {
      out.write(
          String.join(
              ",",
              quote(r.requestId()), quote(r.userId()), quote(r.region()),
              Long.toString(r.sendMicros()), Long.toString(r.clientDelayMicros()), r.outcome().name(),
              Long.toString(r.rank()), Long.toString(r.arrivalMicros()), Long.toString(r.decideMicros()),
              Long.toString(r.latencyMicros()), quote(r.errorCode()), Long.toString(r.wireMicros()),
              quote(r.slotsAsked()), quote(r.slotWon())));
      out.write('\n');
    }
  }

  static List<RequestRecord> read(BufferedReader in, String source) throws IOException {
    String header = in.readLine();
    if (header == null || !(split(header).equals(HEADER) || split(header).equals(HEADER_WITHOUT_SLOTS)
        || split(header).equals(HEADER_WITHOUT_WIRE))) {
      throw new IllegalArgumentException(source + ": not a load results file (header must be " + String.join(",", HEADER) + ")");
    }
    List<RequestRecord> records = new ArrayList<>();
    int lineNumber = 1;
    for (String line; (line = in.readLine()) != null; ) {
      lineNumber++;
      if (line.isBlank()) {
        continue;
      }
      try {
        records.add(parse(split(line)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(source + " line " + lineNumber + ": " + e.getMessage(), e);
      }
    }
    return records;
  }

  private static RequestRecord parse(List<String> f) {
    if (f.size() != HEADER.size() && f.size() != HEADER_WITHOUT_SLOTS.size() && f.size() != HEADER_WITHOUT_WIRE.size()) {
      throw new IllegalArgumentException("expected " + HEADER.size() + " fields, got " + f.size());
    }
    return new RequestRecord(
        f.get(0), f.get(1), f.get(2), Long.parseLong(f.get(3)), Long.parseLong(f.get(4)),
        RecordOutcome.valueOf(f.get(5)), Long.parseLong(f.get(6)), Long.parseLong(f.get(7)),
        Long.parseLong(f.get(8)), Long.parseLong(f.get(9)), f.get(10),
        f.size() > 11 ? Long.parseLong(f.get(11)) : 0,
        f.size() > 12 ? f.get(12) : "", f.size() > 12 ? f.get(13) : "");
  }

  private static String quote(String field) {
    if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0) {
      return field;
    }
    return '"' + field.replace("\"", "\"\"") + '"';
  }

  /** Splits one line; ids never hold line breaks, so a record is always one line. */
  static List<String> split(String line) {
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          field.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          field.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
      } else {
        field.append(c);
      }
    }
    if (quoted) {
      throw new IllegalArgumentException("unterminated quote");
    }
    fields.add(field.toString());
    return fields;
  }
}
