package flashsale.client.cluster;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;

/**
 * Waits for a region node's gRPC health to say SERVING: warm and linked with a clock in bounds,
 * what a load balancer waits for. The harnesses that start nodes (in-process, from the jars, in
 * tests) all wait the same way.
 */
public final class ServingHealth {
  private static final long POLL_MS = 20;

  private ServingHealth() {}

  /**
   * Polls {@code target} (plain text: a region's public port) until SERVING or {@code deadlineNanos}
   * ({@link System#nanoTime}); {@code beforeEachTry} may throw to give up early (a process that
   * exited). Throws IllegalStateException naming {@code what} and the last answer.
   */
  public static void await(String target, long deadlineNanos, String what, Runnable beforeEachTry)
      throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    try {
      var health = HealthGrpc.newBlockingStub(channel);
      String last = "no answer";
      while (true) {
        beforeEachTry.run();
        try {
          ServingStatus status = health.withDeadlineAfter(1, TimeUnit.SECONDS)
              .check(HealthCheckRequest.getDefaultInstance()).getStatus();
          if (status == ServingStatus.SERVING) return;
          last = status.name();
        } catch (StatusRuntimeException notYet) {
          last = notYet.getStatus().toString(); // starting
        }
        if (System.nanoTime() > deadlineNanos) throw new IllegalStateException(what + " not SERVING in time; last: " + last);
        Thread.sleep(POLL_MS);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  /** {@link #await(String, long, String, Runnable)} with nothing to check between tries. */
  public static void await(String target, long deadlineNanos, String what) throws InterruptedException {
    await(target, deadlineNanos, what, () -> {});
  }
}
