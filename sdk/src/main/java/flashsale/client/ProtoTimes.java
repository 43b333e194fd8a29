package flashsale.client;

import flashsale.sale.Micros;
import flashsale.wire.Times;
import com.google.protobuf.Timestamp;
import java.time.Instant;

/** Converts between {@link Instant} and protobuf {@link Timestamp}, and to UTC epoch microseconds. */
public final class ProtoTimes {
  private ProtoTimes() {}

  /** The instant a timestamp denotes. */
  public static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  /** The timestamp for an instant, keeping nanoseconds. */
  public static Timestamp timestamp(Instant i) {
    return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
  }

  /** UTC epoch microseconds of an instant (sub-microsecond part dropped). */
  public static long micros(Instant i) {
    return Micros.of(i);
  }

  /** UTC epoch microseconds of a timestamp; 0 for an unset timestamp. */
  public static long micros(Timestamp t) {
    return Times.micros(t);
  }
}
