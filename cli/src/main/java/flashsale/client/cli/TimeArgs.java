package flashsale.client.cli;

import com.google.protobuf.Timestamp;
import flashsale.client.ProtoTimes;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads times and durations the way people type them, and shows times in the user's zone. Every
 * time leaves the CLI as UTC; the zone only matters for reading local times and for display.
 */
public final class TimeArgs {
  private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(us|µs|ms|s|m|h|d)?");
  private static final DateTimeFormatter DISPLAY = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

  private TimeArgs() {}

  /** True for a time read against the clock ({@code now}, {@code +5s}): each run of a command reads another. */
  static boolean isRelative(String text) {
    String t = text.strip();
    return t.equals("now") || t.startsWith("+") || t.startsWith("-");
  }

  /**
   * An instant from ISO-8601 with an offset or zone ({@code 2025-06-18T20:00:00+08:00}), a local
   * date-time read in {@code zone} ({@code 2025-06-18T20:00}), {@code now}, or an offset from now
   * ({@code +5s}, {@code -1m}, {@code +2h}).
   */
  static Instant parseInstant(String text, ZoneId zone, Instant now) {
    String t = text.strip();
    if (t.equals("now")) {
      return now;
    }
    if (t.startsWith("+") || t.startsWith("-")) {
      Duration offset = parseDuration(t.substring(1));
      return t.startsWith("+") ? now.plus(offset) : now.minus(offset);
    }
    try {
      return ZonedDateTime.parse(t).toInstant();
    } catch (DateTimeParseException withoutZone) {
      try {
        return LocalDateTime.parse(t).atZone(zone).toInstant();
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "cannot read time '" + text + "': use ISO-8601 like 2025-06-18T20:00:00+08:00, a local time in --zone"
                + " like 2025-06-18T20:00, now, or relative like +5s");
      }
    }
  }

  /** {@code 10s}, {@code 500ms}, {@code 250us}, {@code 2m}, {@code 1h}, {@code 1d}, a bare number of seconds, or ISO {@code PT10S}. */
  static Duration parseDuration(String text) {
    String t = text.strip();
    if (t.toUpperCase(java.util.Locale.ROOT).startsWith("P")) {
      try {
        return Duration.parse(t);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("cannot read duration '" + text + "'");
      }
    }
    Matcher m = DURATION.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("cannot read duration '" + text + "': use e.g. 10s, 500ms, 2m, 1h");
    }
    double amount = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2);
    double micros = amount * switch (unit) {
      case "us", "µs" -> 1;
      case "ms" -> 1e3;
      case "s" -> 1e6;
      case "m" -> 60e6;
      case "h" -> 3600e6;
      default -> 86_400e6; // "d"
    };
    return Duration.of(Math.round(micros), ChronoUnit.MICROS);
  }

  /** An instant in {@code zone}, to the microsecond, with its offset. */
  static String format(Instant instant, ZoneId zone) {
    return DISPLAY.format(instant.truncatedTo(ChronoUnit.MICROS).atZone(zone));
  }

  /** A protobuf timestamp in {@code zone}; "-" when unset. */
  static String format(Timestamp timestamp, ZoneId zone) {
    return timestamp.getSeconds() == 0 && timestamp.getNanos() == 0 ? "-" : format(ProtoTimes.instant(timestamp), zone);
  }

  /** picocli converter for durations. */
  public static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      try {
        return parseDuration(value);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  /** picocli converter for zone ids such as {@code Asia/Shanghai} or {@code +08:00}. */
  static final class ZoneConverter implements CommandLine.ITypeConverter<ZoneId> {
    @Override
    public ZoneId convert(String value) {
      try {
        return ZoneId.of(value);
      } catch (DateTimeException e) {
        throw new CommandLine.TypeConversionException("unknown time zone '" + value + "'");
      }
    }
  }
}
