package flashsale.client.bench;

import flashsale.client.FlashSaleClient;
import flashsale.client.FlashSaleException;
import flashsale.client.load.ArrivalPattern;
import flashsale.client.load.LoadConfig;
import flashsale.client.load.LoadGenerator;
import flashsale.client.load.LoadResult;
import flashsale.client.load.RegionTarget;
import flashsale.v1.EventMode;
import flashsale.client.wire.RawPurchaseConnection;
import flashsale.v1.PurchaseRequest;
import io.grpc.Channel;
import io.grpc.Status;
import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * One user hammering a region while a crowd buys normally: a crowd of distinct users at a steady
 * (Poisson) rate and, at the same time, the user id {@value #ABUSER} at a far higher, even rate.
 * The crowd's latency is what the abuse must not move; the abuser's answers show the rate limit.
 *
 * @param crowdUsers distinct users of the crowd
 * @param crowdPerSecond the crowd's purchases per second, all together
 * @param abuserPerSecond the one user's purchases per second; 0 runs the crowd alone
 * @param duration how long both send
 */
public record AbuseRun(int crowdUsers, double crowdPerSecond, double abuserPerSecond, Duration duration) {
  public static final String ABUSER = "abuser";
  private static final int RAW_ENCODE_CHUNK = 10_000;

  /**
   * How the abuser was answered: calls by outcome ("DECIDED" or a gRPC code name), the time from
   * the first send to the last answer (every call reached the region within it), and from the
   * first send to the last (longer than the run when the abuser's client fell behind its rate).
   */
  public record Abuser(long sent, Map<String, Long> outcomes, long elapsedMicros, long sendingMicros) {
    public long count(String outcome) {
      return outcomes.getOrDefault(outcome, 0L);
    }
  }

  /** What each side got; {@code abuser} is null when there was none. */
  public record Result(LoadResult crowd, Abuser abuser) {}

  /**
   * Creates a fresh event over {@code regions} and runs both loads against {@code region} to the
   * end: the crowd on {@code crowd}, the abuser on {@code abuser} (its own connection, as another
   * client's would be; or the crowd's, to see one client share its connection with an abuser).
   */
  public Result run(Channel admin, List<String> regions, String region, Channel crowd, Channel abuser, String eventId)
      throws Exception {
    return run(admin, regions, region, crowd, event -> abuseAsync(abuser, event), eventId);
  }

  /** The abuse of {@code eventId} through {@code abuser}, on a thread of its own. */
  public CompletableFuture<Abuser> abuseAsync(Channel abuser, String eventId) {
    return CompletableFuture.supplyAsync(() -> abuse(new FlashSaleClient(abuser, Duration.ofSeconds(10)), eventId));
  }

  /**
   * As above, with the abuse started by {@code abuser} (given the event id; it must return at once
   * and complete when the abuse is over), e.g. in a process of its own ({@link AbuserProcess}).
   */
  public Result run(Channel admin, List<String> regions, String region, Channel crowd,
      Function<String, CompletableFuture<Abuser>> abuser, String eventId) throws Exception {
    ModeRun.createEvent(admin, EventMode.EVENT_MODE_GLOBAL_ORDER, eventId, 1_000_000, regions);
    var crowdLoad = new LoadGenerator(LoadConfig.of(eventId, List.of(new RegionTarget(region, crowd)), crowdUsers,
        crowdPerSecond, duration, ArrivalPattern.POISSON).withMaxInFlight(10_000).withDeadline(Duration.ofSeconds(10)));
    CompletableFuture<Abuser> abuse = abuserPerSecond <= 0 ? CompletableFuture.completedFuture(null) : abuser.apply(eventId);
    LoadResult crowdResult = crowdLoad.run();
    return new Result(crowdResult, abuse.get());
  }

  /**
   * As {@link #abuse}, written as pre-encoded HTTP/2 on one socket ({@link RawPurchaseConnection}):
   * the region does a whole gRPC call's work for each, while the abuser's own client costs the
   * shared cores little (a bot need not run a full gRPC stack either).
   */
  public CompletableFuture<Abuser> abuseRawAsync(String host, int port, String eventId) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return abuseRaw(host, port, eventId);
      } catch (Exception e) {
        throw new java.util.concurrent.CompletionException(e);
      }
    });
  }

  Abuser abuseRaw(String host, int port, String eventId) throws IOException, InterruptedException {
    int calls = (int) Math.round(abuserPerSecond * duration.toNanos() / 1e9);
    long intervalNanos = (long) (1e9 / abuserPerSecond);
    try (var connection = RawPurchaseConnection.open(host, port, InstantSource.system(), Duration.ofSeconds(10))) {
      List<RawPurchaseConnection.EncodedCall> encoded = new ArrayList<>(calls);
      // In chunks: encode refuses more calls than the server lets be open at once, and these are not.
      for (int from = 0; from < calls; from += RAW_ENCODE_CHUNK) {
        List<PurchaseRequest> chunk = new ArrayList<>();
        for (int i = from; i < Math.min(calls, from + RAW_ENCODE_CHUNK); i++) {
          chunk.add(PurchaseRequest.newBuilder().setEventId(eventId).setUserId(ABUSER)
              .setRequestId(eventId + "-abuse-" + i).setQuantity(1).build());
        }
        encoded.addAll(connection.encode(chunk, Duration.ofSeconds(10)));
      }
      connection.expect(calls);
      long startNanos = System.nanoTime();
      int written = 0;
      while (written < calls) {
        int due = (int) Math.min(calls, (System.nanoTime() - startNanos) / intervalNanos + 1);
        if (due > written) {
          connection.write(encoded.subList(written, due));
          written = due;
        } else {
          LockSupport.parkNanos(startNanos + written * intervalNanos - System.nanoTime());
        }
      }
      long sendingMicros = (System.nanoTime() - startNanos) / 1000;
      connection.awaitAnswers(Duration.ofSeconds(30)); // those still open then count as UNANSWERED
      long elapsedMicros = (System.nanoTime() - startNanos) / 1000;
      Map<String, Long> counts = new TreeMap<>();
      for (var answer : connection.answers().values()) {
        String outcome = answer.grpcStatus() == 0 ? "DECIDED" : Status.fromCodeValue(answer.grpcStatus()).getCode().name();
        counts.merge(outcome, 1L, Long::sum);
      }
      long unanswered = calls - connection.answers().size();
      if (unanswered > 0) counts.put("UNANSWERED", unanswered);
      return new Abuser(calls, counts, elapsedMicros, sendingMicros);
    }
  }

  /** Sends {@code abuserPerSecond} purchases of user {@value #ABUSER} for {@code duration}, evenly, and waits for every answer. */
  Abuser abuse(FlashSaleClient client, String eventId) {
    long calls = Math.round(abuserPerSecond * duration.toNanos() / 1e9);
    long intervalNanos = (long) (1e9 / abuserPerSecond);
    Map<String, LongAdder> outcomes = new ConcurrentHashMap<>();
    CountDownLatch answered = new CountDownLatch((int) calls);
    long startNanos = System.nanoTime();
    for (long i = 0; i < calls; i++) {
      LockSupport.parkNanos(startNanos + i * intervalNanos - System.nanoTime());
      client.purchaseAsync(eventId, ABUSER, eventId + "-abuse-" + i, 1).whenComplete((ok, failure) -> {
        String outcome = failure == null ? "DECIDED" : FlashSaleException.from(failure).code().name();
        outcomes.computeIfAbsent(outcome, k -> new LongAdder()).increment();
        answered.countDown();
      });
    }
    long sendingMicros = (System.nanoTime() - startNanos) / 1000;
    try {
      // Calls still open then are reported as UNANSWERED: the run's figures say what happened.
      answered.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("abuser interrupted", e);
    }
    long elapsedMicros = (System.nanoTime() - startNanos) / 1000;
    Map<String, Long> counts = new TreeMap<>();
    outcomes.forEach((k, v) -> counts.put(k, v.sum()));
    if (answered.getCount() > 0) counts.put("UNANSWERED", answered.getCount());
    return new Abuser(calls, counts, elapsedMicros, sendingMicros);
  }
}
