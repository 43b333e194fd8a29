package flashsale.system.faults;

import flashsale.store.testing.RedisServer;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.RegionStatus;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Figures, not assertions: how a two-arbiter cluster (lease ttl 1000 ms, renew 250 ms, real
 * processes) and two region processes settle after a fault of the leader, under a steady 200
 * purchases/s. Per run: takeover (fault until the other arbiter answers as leader), regions moved
 * (fault until the new leader sees both regions connected), leadership changes (fencing epochs
 * taken from the fault until 5 s after the fault ended), and the longest gap without answers.
 * Three runs each of leader SIGKILL, a 3 s SIGSTOP, a 20 s SIGSTOP, and a Redis stall of 700 ms (a
 * Lua script holding Redis, as a long store call would: every renewal is late by up to 700 ms,
 * less than the ttl, and no one should take over). {@code -Dbench.scenarios=kill,stop3,stop20,stall}
 * picks some.
 *
 * <p>Not part of {@code verify} (its name matches no test pattern; about 3 minutes). Run it by name,
 * under the bench lock: {@code flock /work/bench.lock ./mvnw -B -q -pl system-tests -am verify
 * -Dtest=LeadershipSettleBench -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dfaults.jar-dir=DIR}
 * runs saved jars, {@code -Dbench.region-args="--flag value"} passes flags to the regions (default
 * {@code --arbiter-silence-timeout-ms 1000}; {@code none} for builds without that flag). Before each
 * fault the standby is up (answers NOT_LEADER), so no figure includes a JVM's start.
 */
class LeadershipSettleBench {
  static final int RUNS = 3;
  static final int RATE_PER_SECOND = 200;
  static final long FAULT_AT_MS = 1_000;
  static final long SETTLE_MS = 5_000;
  static final long POLL_DEADLINE_MS = 200;

  record Run(long takeoverMs, long regionsMovedMs, long leadershipChanges, long longestGapMs, int errors) {}

  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<ArbiterProcess> arbiters = new ArrayList<>();
  private final List<RegionProcess> regions = new ArrayList<>();

  @Test
  void settleAfterLeaderFaults() throws Exception {
    String regionArgs = System.getProperty("bench.region-args",
        "--arbiter-silence-timeout-ms " + ArbiterProcess.LEASE_TTL_MS).trim();
    List<String> extra = regionArgs.equals("none") ? List.of() : Arrays.asList(regionArgs.split("\\s+"));
    try (RedisServer redis = RedisServer.start(true)) {
      RedisClient client = RedisClient.create(redis.uri());
      try (StatefulRedisConnection<String, String> epochs = client.connect()) {
        for (String id : List.of("arb-a", "arb-b")) arbiters.add(new ArbiterProcess(id, redis.uri()).start());
        List<String> addresses = arbiters.stream().map(ArbiterProcess::address).toList();
        for (String r : List.of("east", "west")) regions.add(new RegionProcess(r, addresses).start(extra));
        Map<String, List<Run>> results = new LinkedHashMap<>();
        int eventNo = 0;
        Map<String, String> names = Map.of("kill", "SIGKILL", "stop3", "SIGSTOP 3 s", "stop20", "SIGSTOP 20 s",
            "stall", "Redis stall");
        for (String key : System.getProperty("bench.scenarios", "kill,stop3,stop20,stall").split(",")) {
          String scenario = names.get(key.trim());
          for (int run = 1; run <= RUNS; run++) {
            Run r = scenario.equals("Redis stall")
                ? stallOnce("settle-" + (++eventNo), epochs, client)
                : runOnce(scenario, "settle-" + (++eventNo), epochs);
            System.out.printf("bench leadership %s run %d: %s%n", scenario, run, r);
            results.computeIfAbsent(scenario, k -> new ArrayList<>()).add(r);
          }
        }
        System.out.printf("bench leadership summary (lease ttl %d ms, renew %d ms; min / median / max of %d runs)%n",
            ArbiterProcess.LEASE_TTL_MS, ArbiterProcess.LEASE_RENEW_MS, RUNS);
        results.forEach((scenario, runs) -> System.out.printf(
            "  %-13s takeover %s ms | regions moved %s ms | leadership changes %s | longest gap %s ms | errors %s%n",
            scenario, spread(runs, Run::takeoverMs), spread(runs, Run::regionsMovedMs),
            spread(runs, Run::leadershipChanges), spread(runs, Run::longestGapMs), spread(runs, r -> r.errors())));
      } finally {
        channels.forEach(ManagedChannel::shutdownNow);
        for (RegionProcess r : regions) r.close();
        for (ArbiterProcess a : arbiters) a.close();
        flashsale.store.redis.RedisConnection.shutDown(client);
      }
    }
  }

  private Run runOnce(String scenario, String eventId, StatefulRedisConnection<String, String> epochs)
      throws Exception {
    ArbiterProcess leader = awaitLeader(60_000);
    ArbiterProcess other = arbiters.get(0) == leader ? arbiters.get(1) : arbiters.get(0);
    createEvent(leader, eventId);
    awaitRegionsConnected(leader, 30_000);
    awaitStandby(other, 60_000);
    long pauseMs = scenario.startsWith("SIGSTOP") ? Long.parseLong(scenario.replaceAll("\\D", "")) * 1000 : 0;
    long epochBefore = Long.parseLong(epochs.sync().get("fs:{arbiter}:epoch"));

    SteadyLoad load = new SteadyLoad(eventId);
    CompletableFuture<Long> faultNanos = new CompletableFuture<>();
    int seconds = (int) ((FAULT_AT_MS + pauseMs + SETTLE_MS + 999) / 1000);
    CompletableFuture<Void> loadDone = CompletableFuture.runAsync(() -> {
      try {
        load.run(buyers(), RATE_PER_SECOND, seconds, FAULT_AT_MS, () -> {
          try {
            if (pauseMs == 0) leader.kill();
            else leader.pause();
            faultNanos.complete(System.nanoTime());
          } catch (Exception e) {
            faultNanos.completeExceptionally(e);
          }
        });
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    long t0 = faultNanos.get(30, TimeUnit.SECONDS);
    long takeoverMs = -1;
    long movedMs = -1;
    long limitNanos = t0 + TimeUnit.SECONDS.toNanos(60);
    while (movedMs < 0 && System.nanoTime() < limitNanos) {
      if (pauseMs > 0 && leader.alive() && System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(pauseMs)) {
        leader.resume();
      }
      List<RegionStatus> seen = regionsSeenBy(other);
      if (seen != null && takeoverMs < 0) takeoverMs = (System.nanoTime() - t0) / 1_000_000;
      if (seen != null && seen.stream().filter(RegionStatus::getConnected).count() == regions.size()) {
        movedMs = (System.nanoTime() - t0) / 1_000_000;
      }
      Thread.sleep(10);
    }
    long resumeAtNanos = t0 + TimeUnit.MILLISECONDS.toNanos(pauseMs);
    if (pauseMs > 0) {
      long waitNanos = resumeAtNanos - System.nanoTime();
      if (waitNanos > 0) TimeUnit.NANOSECONDS.sleep(waitNanos);
      leader.resume();
    } else {
      leader.start(); // back as a standby
    }
    long settleNanos = resumeAtNanos + TimeUnit.MILLISECONDS.toNanos(SETTLE_MS) - System.nanoTime();
    if (settleNanos > 0) TimeUnit.NANOSECONDS.sleep(settleNanos);
    long changes = Long.parseLong(epochs.sync().get("fs:{arbiter}:epoch")) - epochBefore;
    loadDone.get(120, TimeUnit.SECONDS);
    return new Run(takeoverMs, movedMs, changes, load.longestGapMs()[0], load.errors());
  }

  static final long STALL_MS = 700;
  private static final String STALL = """
      local t = redis.call('TIME')
      local start = t[1] * 1000000 + t[2]
      repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start >= tonumber(ARGV[1]) * 1000
      return 1
      """;

  /** Holds Redis for {@link #STALL_MS} under load; a settled cluster keeps its leader (takeover -1). */
  private Run stallOnce(String eventId, StatefulRedisConnection<String, String> epochs, RedisClient client)
      throws Exception {
    ArbiterProcess leader = awaitLeader(60_000);
    createEvent(leader, eventId);
    awaitRegionsConnected(leader, 30_000);
    awaitStandby(arbiters.get(0) == leader ? arbiters.get(1) : arbiters.get(0), 60_000);
    long epochBefore = Long.parseLong(epochs.sync().get("fs:{arbiter}:epoch"));
    SteadyLoad load = new SteadyLoad(eventId);
    try (StatefulRedisConnection<String, String> staller = client.connect()) {
      load.run(buyers(), RATE_PER_SECOND, (int) ((FAULT_AT_MS + STALL_MS + SETTLE_MS + 999) / 1000), FAULT_AT_MS,
          () -> staller.async().eval(STALL, io.lettuce.core.ScriptOutputType.INTEGER, new String[0],
              Long.toString(STALL_MS)));
    }
    long changes = Long.parseLong(epochs.sync().get("fs:{arbiter}:epoch")) - epochBefore;
    return new Run(-1, -1, changes, load.longestGapMs()[0], load.errors());
  }

  private static String spread(List<Run> runs, java.util.function.ToLongFunction<Run> figure) {
    long[] v = runs.stream().mapToLong(figure).sorted().toArray();
    return v[0] + " / " + v[v.length / 2] + " / " + v[v.length - 1];
  }

  private ManagedChannel channel(String target) {
    ManagedChannel c = Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    channels.add(c);
    return c;
  }

  private final Map<String, ManagedChannel> adminChannels = new LinkedHashMap<>();

  private EventAdminServiceGrpc.EventAdminServiceBlockingStub admin(ArbiterProcess a) {
    ManagedChannel c = adminChannels.computeIfAbsent(a.address(), this::channel);
    return EventAdminServiceGrpc.newBlockingStub(c).withDeadlineAfter(POLL_DEADLINE_MS, TimeUnit.MILLISECONDS);
  }

  /** The regions {@code a} reports while it leads (answers admin calls); null while it does not. */
  private List<RegionStatus> regionsSeenBy(ArbiterProcess a) {
    try {
      return admin(a).listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList();
    } catch (StatusRuntimeException e) {
      return null;
    }
  }

  private ArbiterProcess awaitLeader(long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      for (ArbiterProcess a : arbiters) if (a.alive() && regionsSeenBy(a) != null) return a;
      Thread.sleep(20);
    }
    throw new AssertionError("no arbiter leads after " + timeoutMs + " ms");
  }

  /** Waits until {@code a} runs and answers as a standby (NOT_LEADER), i.e. can take over. */
  private void awaitStandby(ArbiterProcess a, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      try {
        admin(a).listRegions(ListRegionsRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        if (flashsale.wire.Errors.reasonOf(e).orElse("").equals("NOT_LEADER")) return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError(a.nodeId + " is not a standby after " + timeoutMs + " ms");
  }

  private void awaitRegionsConnected(ArbiterProcess leader, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    while (System.nanoTime() < deadline) {
      List<RegionStatus> seen = regionsSeenBy(leader);
      if (seen != null && seen.stream().filter(RegionStatus::getConnected).count() == regions.size()) return;
      Thread.sleep(20);
    }
    throw new AssertionError("regions not connected to " + leader.nodeId + " after " + timeoutMs + " ms");
  }

  private void createEvent(ArbiterProcess leader, String eventId) {
    long nowMicros = System.currentTimeMillis() * 1000;
    Event event = Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(1_000_000)
        .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 600_000_000L))
        .setPerUserLimit(1).addAllRegions(regions.stream().map(r -> r.region).toList())
        .setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
    EventAdminServiceGrpc.newBlockingStub(channel(leader.address())).withDeadlineAfter(5, TimeUnit.SECONDS)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + eventId).setEvent(event).build());
  }

  private Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> buyers() {
    Map<String, FlashSaleServiceGrpc.FlashSaleServiceStub> stubs = new LinkedHashMap<>();
    for (RegionProcess r : regions) stubs.put(r.region, FlashSaleServiceGrpc.newStub(channel(r.address())));
    return stubs;
  }
}
