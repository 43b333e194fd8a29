package flashsale.client.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.v1.PurchaseDecision;
import flashsale.wire.Times;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LatencyHopsTest {
  private static final long T0 = 1_800_000_000_000_000L;

  private static PurchaseDecision decision(long stampMicros, long decideMicros) {
    return PurchaseDecision.newBuilder().setArrivalTime(Times.timestamp(stampMicros))
        .setDecideTime(Times.timestamp(decideMicros)).build();
  }

  @Test
  void theTailShowsWhichHopHeldTheSlowCalls() {
    var hops = new LatencyHops();
    hops.start();
    // 99 calls: 1 ms to the stamp, 30 ms to the decision, 1 ms back; one call held 50 ms more before its decision.
    for (int i = 0; i < 99; i++) {
      long send = T0 + i * 1_000L;
      hops.record(send, decision(send + 1_000, send + 31_000), send + 32_000);
    }
    long slowSend = T0 + 200_000;
    hops.record(slowSend, decision(slowSend + 1_000, slowSend + 81_000), slowSend + 82_000);

    var text = new ByteArrayOutputStream();
    hops.report("near", 99, 1, new PrintStream(text, true, StandardCharsets.UTF_8));

    String printed = text.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("all 100 calls | the 1 at or above p99"), printed);
    assertTrue(printed.contains("send->stamp 1.0 | 1.0, stamp->decide 30.0 | 80.0, decide->answer 1.0 | 1.0"), printed);
    assertTrue(printed.contains(": 200(1/80/1)"), printed);
  }

  @Test
  void callsBeforeTheWindowOrWithoutStampsAreNotCounted() {
    var hops = new LatencyHops();
    hops.record(T0, decision(T0 + 1_000, T0 + 2_000), T0 + 3_000); // before start()
    hops.start();
    hops.record(T0, PurchaseDecision.getDefaultInstance(), T0 + 3_000);

    var text = new ByteArrayOutputStream();
    hops.report("near", 99, 5, new PrintStream(text, true, StandardCharsets.UTF_8));

    String printed = text.toString(StandardCharsets.UTF_8);
    assertTrue(printed.contains("no decided call carried its stamps"), printed);
  }

  @Test
  void medianHopsOfSomeCallsAreEachHopsMiddleValue() {
    var calls = java.util.List.of(new LatencyHops.Call(T0, T0 + 2_000, T0 + 40_000, T0 + 41_000),
        new LatencyHops.Call(T0, T0 + 1_000, T0 + 31_000, T0 + 33_000),
        new LatencyHops.Call(T0, T0 + 5_000, T0 + 6_000, T0 + 9_000));
    assertArrayEquals(new double[] {2.0, 30.0, 2.0}, LatencyHops.medianHopsMillis(calls));
  }
}
