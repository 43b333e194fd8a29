package flashsale.arbiter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The arbiter's command line refuses an unread limit below 1 ms or 1 byte in one line, before starting anything. */
class ArbiterMainTest {
  @Test
  void aRegionStreamUnreadLimitBelowOneMillisecondIsAUsageError() {
    var out = new StringWriter();
    var err = new StringWriter();
    int code = ArbiterMain.run(new String[] {"--insecure", "--port", "0", "--region-stream-unread-limit-ms", "0"},
        new PrintWriter(out, true), new PrintWriter(err, true));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--region-stream-unread-limit-ms must be >= 1, got 0"), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
  }

  @Test
  void aRegionStreamUnreadByteLimitBelowOneIsAUsageError() {
    var err = new StringWriter();
    int code = ArbiterMain.run(new String[] {"--insecure", "--port", "0", "--region-stream-unread-limit-bytes", "0"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--region-stream-unread-limit-bytes must be >= 1, got 0"), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
  }

  /** Each of these used to start with a feature silently off (metrics, the admin quota) or at another period (TLS reload). */
  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
      "--metrics-port            | -1       | --metrics-port must be 0 (off) to 65535, got -1",
      "--tls-reload-s            | 0        | --tls-reload-s must be >= 1, got 0",
      "--tls-reload-s            | -60      | --tls-reload-s must be >= 1, got -60",
      "--admin-events-per-minute | NaN      | --admin-events-per-minute must be 0 (off) or a positive number, got NaN",
      "--admin-events-per-minute | Infinity | --admin-events-per-minute must be 0 (off) or a positive number, got Infinity",
      "--admin-events-per-minute | -1       | --admin-events-per-minute must be 0 (off) or a positive number, got -1.0",
      "--admin-events-burst      | 0        | --admin-events-burst must be >= 1, got 0",
      "--finished-event-retention-hours | -1 | --finished-event-retention-hours must be 0 (kept for good) to 876000 (100 years), got -1"})
  @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD) // a node not refused runs until stopped
  void aFlagThatWouldQuietlyChangeWhatItControlsIsAUsageError(String flag, String value, String says) {
    var err = new StringWriter();
    int code = ArbiterMain.run(new String[] {"--insecure", "--port", "0", flag, value},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains(says), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
  }

  @Test
  void replicaAcknowledgementsWithoutRedisAreAUsageError() {
    var err = new StringWriter();
    int code = ArbiterMain.run(new String[] {"--insecure", "--port", "0", "--redis-replica-acks", "1"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--redis-replica-acks 1 needs --redis"), err.toString());
    assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
  }

  @Test
  void aReplicaWaitBelowOneMillisecondIsAUsageError() {
    var err = new StringWriter();
    int code = ArbiterMain.run(new String[] {"--insecure", "--port", "0", "--redis-replica-wait-ms", "0"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--redis-replica-wait-ms must be >= 1, got 0"), err.toString());
  }

  @Test
  void aReplicaWaitOverHalfTheLeaseTtlIsAUsageError() {
    var err = new StringWriter();
    int code = ArbiterMain.run(new String[] {"--insecure", "--port", "0", "--redis", "redis://127.0.0.1:1",
            "--redis-replica-acks", "1", "--redis-replica-wait-ms", "1500", "--lease-ttl-ms", "2000"},
        new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    assertEquals(2, code, err.toString());
    assertTrue(err.toString().contains("--redis-replica-wait-ms 1500 must be at most half of --lease-ttl-ms 2000"),
        err.toString());
  }

  @Test
  @org.junit.jupiter.api.Timeout(60) // a node that is not refused runs until stopped
  void anArbiterWhosePartitionCountDiffersFromTheLiveOnesIsRefusedAtStart() {
    try (var redis = flashsale.store.testing.RedisServer.start()) {
      var lease = flashsale.arbiter.cluster.LeaseSettings.defaults();
      assertEquals(null, flashsale.arbiter.cluster.PartitionLayout.claimAtStart(redis.uri(), 1, lease)); // a live single leader
      var err = new StringWriter();
      int code = ArbiterMain.run(new String[] {"--insecure", "--port", "0", "--redis", redis.uri(), "--partitions", "4"},
          new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
      assertEquals(1, code, err.toString());
      assertTrue(err.toString().contains("run with --partitions 1, this one with 4"), err.toString());
      assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
    }
  }

  @Test
  void theLimitsDefaultToThirtySecondsAnd64MiB() {
    assertEquals(30_000, new ArbiterMain().regionStreamUnreadLimitMs);
    assertEquals(30_000, ArbiterConfig.defaults().regionStreamUnreadLimitMs());
    assertEquals(64L << 20, new ArbiterMain().regionStreamUnreadLimitBytes);
    assertEquals(64L << 20, ArbiterConfig.defaults().regionStreamUnreadLimitBytes());
  }
}
