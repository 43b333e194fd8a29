package flashsale.system.faults;

import flashsale.sale.Decision;
import flashsale.sale.DecisionBatch;
import flashsale.sale.EventSpec;
import flashsale.sale.LossReason;
import flashsale.sale.Outcome;
import flashsale.sale.SaleMode;
import flashsale.sale.Ticket;
import flashsale.store.redis.RedisArbiterStore;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takeover with a long history: seeds a Redis with {@code events} finished events of {@code
 * decisions} decisions each (through the store's own persist function) and one live event, then,
 * per run, starts two arbiter processes (lease ttl 1000 ms, renew 250 ms), SIGKILLs or SIGSTOPs
 * the leader and reports: time until the standby reports SERVING (gRPC health, which a node only
 * reports once it has loaded its live events), how many times the lease changed hands, the new
 * leader's heap after a full GC (jcmd), and the slowest Redis call (SLOWLOG, threshold 1 ms).
 *
 * <p>{@code java ... TakeoverBenchmark redis://127.0.0.1:6410 [runs=3] [pauseMs=0] [events=1000]
 * [decisions=1000] [probe=health]}; pauseMs 0 kills, otherwise the leader is SIGSTOPped that long,
 * then resumed. Probe {@code gate} counts a node as leading once a leader-only call (ListRegions)
 * succeeds, for builds whose health does not tell a standby from a leader.
 */
public final class TakeoverBenchmark {
  private static final Pattern USED_KB = Pattern.compile("used (\\d+)K");
  private static boolean probeGate;

  public static void main(String[] args) throws Exception {
    String uri = args[0];
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    long pauseMs = args.length > 2 ? Long.parseLong(args[2]) : 0;
    int events = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
    int decisions = args.length > 4 ? Integer.parseInt(args[4]) : 1000;
    probeGate = args.length > 5 && args[5].equals("gate");
    RedisClient client = RedisClient.create(uri);
    try (var connection = client.connect(); var store = new RedisArbiterStore(uri)) {
      RedisCommands<String, String> redis = connection.sync();
      seed(store, redis, events, decisions);
      System.out.printf("history: %s events, %s stored decisions, live events: %s%n",
          allEventIds(redis).size(), countDecisions(redis), store.listLiveEvents().stream().map(e -> e.eventId()).toList());
      List<long[]> results = new ArrayList<>();
      for (int run = 1; run <= runs; run++) results.add(run(uri, redis, run, pauseMs));
      summary(results, pauseMs);
    } finally {
      flashsale.store.redis.RedisConnection.shutDown(client);
    }
    System.exit(0);
  }

  private static long countDecisions(RedisCommands<String, String> redis) {
    long total = 0;
    for (String id : allEventIds(redis)) total += redis.llen("fs:{" + id + "}:log");
    return total;
  }

  /** Every event id, from the per-slot event indexes (a benchmark may scan; the store never does). */
  private static List<String> allEventIds(RedisCommands<String, String> redis) {
    List<String> ids = new ArrayList<>();
    for (String index : redis.keys("fs:{*}:events")) ids.addAll(redis.smembers(index));
    return ids;
  }

  /** Finished events through the store's persist function, 8 calls in flight; skipped when already there. */
  static void seed(RedisArbiterStore store, RedisCommands<String, String> redis, int events, int decisions)
      throws Exception {
    String last = String.format("done-%04d", events - 1);
    if (redis.exists("fs:{" + last + "}:meta") == 1) return;
    long nowMicros = System.currentTimeMillis() * 1000;
    long startNanos = System.nanoTime();
    Semaphore inFlight = new Semaphore(8);
    List<CompletableFuture<Void>> writes = new ArrayList<>();
    for (int e = 0; e < events; e++) {
      String eventId = String.format("done-%04d", e);
      long stock = Math.max(1, decisions / 10);
      EventSpec spec = new EventSpec(eventId, "sold earlier", stock, nowMicros - 7_200_000_000L,
          nowMicros - 3_600_000_000L, 1, List.of("east", "west"), SaleMode.GLOBAL_ORDER, e);
      store.createEvent("seed-" + eventId, spec);
      List<Decision> batch = new ArrayList<>(decisions);
      for (int d = 1; d <= decisions; d++) {
        Ticket t = new Ticket(eventId, eventId + "-r" + d, "u" + d, 1, d % 2 == 0 ? "east" : "west",
            spec.startMicros() + d);
        boolean won = d <= stock;
        batch.add(new Decision(t, won ? Outcome.WON : Outcome.LOST, won ? LossReason.NONE : LossReason.SOLD_OUT, d,
            spec.startMicros() + d + 1_000, false));
      }
      inFlight.acquire();
      writes.add(store.persistBatch(new DecisionBatch(eventId, 1, batch))
          .whenComplete((ok, error) -> inFlight.release()));
    }
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(10, TimeUnit.MINUTES);
    for (int e = 0; e < events; e++) store.finishEvent(String.format("done-%04d", e));
    long live = nowMicros;
    store.createEvent("seed-live", new EventSpec("live-sale", "on sale", 100, live, live + 86_400_000_000L, 1,
        List.of("east", "west"), SaleMode.GLOBAL_ORDER, 7));
    System.out.printf("seeded %d finished events x %d decisions in %.1f s%n", events, decisions,
        (System.nanoTime() - startNanos) / 1e9);
  }

  /** One takeover; returns {takeoverMs, handsChanged, heapKb, slowestCallMicros, callsOver50ms}. */
  private static long[] run(String uri, RedisCommands<String, String> redis, int run, long pauseMs) throws Exception {
    redis.configSet("slowlog-log-slower-than", "1000");
    redis.configSet("slowlog-max-len", "100000");
    redis.slowlogReset();
    try (var a = new ArbiterProcess("bench-a" + run, uri).start(); var b = new ArbiterProcess("bench-b" + run, uri).start();
        var healthA = new Health(a.address()); var healthB = new Health(b.address())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!healthA.serving() && !healthB.serving()) {
        if (System.nanoTime() > deadline) throw new IllegalStateException("no leader in 60 s");
        Thread.sleep(20);
      }
      boolean aLeads = healthA.serving();
      ArbiterProcess leader = aLeads ? a : b;
      ArbiterProcess standby = aLeads ? b : a;
      Health standbyHealth = aLeads ? healthB : healthA;
      Thread.sleep(2_000); // a settled leader
      long epochBefore = Long.parseLong(redis.get("fs:{arbiter}:epoch"));
      long faultNanos = System.nanoTime();
      if (pauseMs == 0) {
        leader.kill();
      } else {
        leader.pause();
      }
      while (!standbyHealth.serving()) {
        if (System.nanoTime() - faultNanos > TimeUnit.SECONDS.toNanos(60)) throw new IllegalStateException("no takeover");
        Thread.sleep(5);
      }
      long takeoverMs = (System.nanoTime() - faultNanos) / 1_000_000;
      if (pauseMs > 0) {
        Thread.sleep(Math.max(0, pauseMs - takeoverMs));
        leader.resume();
      }
      Thread.sleep(5_000); // would a second change of hands follow?
      long hands = Long.parseLong(redis.get("fs:{arbiter}:epoch")) - epochBefore;
      if (!standbyHealth.serving()) System.out.printf("run %d: the new leader stopped serving within 5 s%n", run);
      long heapKb = heapAfterFullGcKb(standby.pid());
      long slowest = 0;
      long over50 = 0;
      for (Object entry : redis.slowlogGet(100_000)) {
        long micros = (Long) ((List<?>) entry).get(2);
        slowest = Math.max(slowest, micros);
        if (micros > 50_000) over50++;
      }
      System.out.printf("run %d: %s leader -> standby SERVING after %d ms; lease changed hands %d time(s); "
              + "new leader heap after full GC %.1f MB; slowest Redis call %.1f ms, %d over 50 ms%n",
          run, pauseMs == 0 ? "SIGKILL" : "SIGSTOP " + pauseMs + " ms of the", takeoverMs, hands, heapKb / 1024.0,
          slowest / 1000.0, over50);
      return new long[] {takeoverMs, hands, heapKb, slowest, over50};
    }
  }

  private static long heapAfterFullGcKb(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    Matcher m = USED_KB.matcher(jcmd(pid, "GC.heap_info"));
    long usedKb = 0;
    if (m.find()) usedKb = Long.parseLong(m.group(1)); // the first "used" is the whole heap
    return usedKb;
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(Path.jcmd(), Long.toString(pid), command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  private static void summary(List<long[]> results, long pauseMs) {
    String[] names = {"takeover ms", "hands changed", "heap KB", "slowest Redis call us", "calls over 50 ms"};
    System.out.printf("summary over %d runs (%s):%n", results.size(), pauseMs == 0 ? "SIGKILL" : "SIGSTOP " + pauseMs + " ms");
    for (int i = 0; i < names.length; i++) {
      List<Long> values = new ArrayList<>();
      for (long[] r : results) values.add(r[i]);
      Collections.sort(values);
      System.out.printf("  %-22s min %d  median %d  max %d%n", names[i], values.get(0), values.get(values.size() / 2),
          values.get(values.size() - 1));
    }
  }

  private static final class Path {
    static String jcmd() {
      return java.nio.file.Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    }
  }

  /** gRPC health of one arbiter: SERVING only while it leads with its state loaded. */
  private record Health(ManagedChannel channel) implements AutoCloseable {
    Health(String target) {
      this(Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build());
    }

    boolean serving() {
      try {
        if (probeGate) {
          flashsale.v1.EventAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(200, TimeUnit.MILLISECONDS)
              .listRegions(flashsale.v1.ListRegionsRequest.getDefaultInstance());
          return true;
        }
        return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(200, TimeUnit.MILLISECONDS)
            .check(HealthCheckRequest.getDefaultInstance()).getStatus() == ServingStatus.SERVING;
      } catch (RuntimeException e) {
        return false;
      }
    }

    @Override
    public void close() {
      channel.shutdownNow();
    }
  }
}
