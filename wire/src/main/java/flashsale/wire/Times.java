package flashsale.wire;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;

/** UTC microseconds to and from protobuf time types. */
public final class Times {
  private Times() {}

  public static Timestamp timestamp(long epochMicros) {
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(epochMicros, 1_000_000L))
        .setNanos((int) Math.floorMod(epochMicros, 1_000_000L) * 1000)
        .build();
  }

  public static long micros(Timestamp t) {
    return Math.addExact(Math.multiplyExact(t.getSeconds(), 1_000_000L), t.getNanos() / 1000);
  }

  /** A duration's microseconds, the sub-microsecond part dropped; callers bound the range first. */
  public static long micros(Duration d) {
    return d.getSeconds() * 1_000_000L + d.getNanos() / 1_000;
  }

  public static Duration duration(long micros) {
    return Duration.newBuilder()
        .setSeconds(micros / 1_000_000L)
        .setNanos((int) (micros % 1_000_000L) * 1000)
        .build();
  }
}
