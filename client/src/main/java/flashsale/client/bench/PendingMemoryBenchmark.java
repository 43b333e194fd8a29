package flashsale.client.bench;

import flashsale.arbiter.ArbiterConfig;
import flashsale.arbiter.ArbiterNode;
import flashsale.net.FreePorts;
import flashsale.store.memory.InMemoryArbiterStore;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetEventRequest;
import flashsale.v1.StreamPurchasesRequest;
import flashsale.v1.StreamPurchasesResponse;
import flashsale.wire.Times;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Heap per pending purchase on a region node: the region runs as its own process (its jar, with
 * the launcher's JVM settings: ZGC, whose references are uncompressed), its event also names a
 * region that never connects, so the frontier never moves and every purchase stays pending. Live
 * heap is read with {@code jcmd GC.class_histogram} (after a full collection), before and after;
 * memory outside the heap (Netty's direct buffers, thread stacks) is not counted.
 */
@Command(name = "bench-memory", mixinStandardHelpOptions = true, description = "Region-node heap per pending purchase.")
public final class PendingMemoryBenchmark implements Callable<Integer> {
  /** The class histogram's last line: {@code Total <instances> <bytes>}. */
  private static final Pattern TOTAL = Pattern.compile("(?m)^Total\\s+\\d+\\s+(\\d+)\\s*$");

  @Option(names = "--pending", description = "Purchases to hold pending (default: ${DEFAULT-VALUE}).")
  int pending = 100_000;

  @Option(names = "--region-jar", description = "The region node's fat jar (default: ${DEFAULT-VALUE}).")
  Path regionJar = Path.of("region-node/target/region-node.jar");

  @Option(names = "--streams", description = "Send the purchases over this many StreamPurchases streams instead of "
      + "a Purchase call each (0: calls; default: ${DEFAULT-VALUE}).")
  int streams = 0;

  @Option(names = "--jvm-options", description = "The region JVM's options (default: the launcher's, bin/lib/java.sh: "
      + "the region's role settings, then the JDK's options this java takes, e.g. -XX:+UseCompactObjectHeaders on 25+).")
  String jvmOptions; // null: the launcher's, resolved at the run (probing the JVM at every CLI start would cost each command)

  @Option(names = "--histogram", description = "Print the region's heap histogram (top classes) with every purchase pending.")
  boolean histogram;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(regionJar)) {
      throw new IllegalArgumentException("no region jar at " + regionJar.toAbsolutePath() + " (build with ./mvnw package, or pass --region-jar)");
    }
    var arbiter =
        new ArbiterNode(
                // A region that never connects must hold the frontier for good: no region timeout, and
                // no ticket age bound (with it, every region counts as having promised up to 10 s ago, so
                // a run slower than that saw its first purchases decided and the count fall to 0).
                ArbiterConfig.defaults().withPort(0).withRegionTimeoutMicros(0).withMaxTicketAgeMicros(0),
                Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create()),
                new InMemoryArbiterStore(),
                Clock.systemUTC())
            .start();
    int regionPort = FreePorts.pick();
    Path regionLog = Files.createTempFile("bench-memory-region-", ".log");
    System.out.println("region-node log: " + regionLog);
    List<String> command = new java.util.ArrayList<>();
    command.add(javaBin("java"));
    if (jvmOptions == null) jvmOptions = String.join(" ", flashsale.client.cluster.JarCluster.regionLauncherOptions());
    for (String option : jvmOptions.strip().split("\\s+")) if (!option.isEmpty()) command.add(option);
    command.addAll(List.of("-jar", regionJar.toString(), "--region", "near", "--port", Integer.toString(regionPort),
        "--arbiter", "127.0.0.1:" + arbiter.port(), "--max-pending", Integer.toString(pending + 1000),
        // one connection carries every pending call
        "--max-concurrent-calls-per-connection", Integer.toString(pending + 1000), "--insecure"));
    System.out.println("region-node JVM options: " + jvmOptions);
    Process region =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(regionLog.toFile())
            .start();
    ManagedChannel admin = channel("127.0.0.1:" + arbiter.port());
    ManagedChannel buyer = channel("127.0.0.1:" + regionPort);
    try {
      createEvent(admin);
      var blocking = FlashSaleServiceGrpc.newBlockingStub(buyer);
      awaitRegion(blocking);
      long beforeKb = heapUsedKb(region.pid());
      var stub = FlashSaleServiceGrpc.newStub(buyer);
      var failures = new java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder>();
      java.util.function.Consumer<Throwable> failed = t -> {
        var status = io.grpc.Status.fromThrowable(t);
        failures.computeIfAbsent(status.getCode() + " " + status.getDescription(), k -> new java.util.concurrent.atomic.LongAdder()).increment();
      };
      List<io.grpc.stub.StreamObserver<StreamPurchasesRequest>> purchaseStreams = new java.util.ArrayList<>();
      for (int s = 0; s < streams; s++) {
        purchaseStreams.add(stub.withDeadlineAfter(10, TimeUnit.MINUTES).streamPurchases(new io.grpc.stub.StreamObserver<>() {
          @Override public void onNext(StreamPurchasesResponse r) {
            if (r.hasError()) failed.accept(io.grpc.Status.fromCodeValue(r.getError().getCode())
                .withDescription(r.getError().getReason() + ": " + r.getError().getMessage()).asRuntimeException());
          }
          @Override public void onError(Throwable t) { failed.accept(t); }
          @Override public void onCompleted() {}
        }));
      }
      for (int i = 0; i < pending; i++) {
        String id = "p-" + i;
        var purchase = flashsale.v1.PurchaseRequest.newBuilder().setEventId("memory").setUserId(id).setRequestId(id).setQuantity(1).build();
        if (streams > 0) {
          purchaseStreams.get(i % streams).onNext(StreamPurchasesRequest.newBuilder().setPurchase(purchase).build());
        } else {
          stub.withDeadlineAfter(10, TimeUnit.MINUTES).purchase(purchase, new io.grpc.stub.StreamObserver<>() {
            @Override public void onNext(flashsale.v1.PurchaseResponse r) {}
            @Override public void onError(Throwable t) { failed.accept(t); }
            @Override public void onCompleted() {}
          });
        }
        // Keep at most 10,000 in flight beyond what the arbiter holds: an unpaced flood starves the
        // arbiter sharing this JVM, and the region then drops its stream for silence and resends.
        if (i % 5_000 == 4_999) awaitPending(admin, i + 1 - 10_000, failures);
      }
      awaitPending(admin, pending, failures);
      long afterKb = heapUsedKb(region.pid());
      System.out.printf(
          "region-node live heap: %,d KiB before, %,d KiB with %,d purchases pending (%s) -> %,d bytes per pending purchase%n",
          beforeKb, afterKb, pending, streams > 0 ? "on " + streams + " StreamPurchases streams" : "a Purchase call each",
          (afterKb - beforeKb) * 1024 / pending);
      if (histogram) {
        run(javaBin("jcmd"), Long.toString(region.pid()), "GC.class_histogram").lines().limit(63).forEach(System.out::println);
      }
      return 0;
    } finally {
      admin.shutdownNow();
      buyer.shutdownNow();
      region.destroyForcibly();
      arbiter.stop();
    }
  }

  private static void createEvent(ManagedChannel admin) {
    long nowMicros = System.currentTimeMillis() * 1000;
    var event =
        Event.newBuilder()
            .setEventId("memory").setItem("memory probe").setStock(1_000_000)
            .setStartTime(Times.timestamp(nowMicros)).setEndTime(Times.timestamp(nowMicros + 3_600_000_000L))
            .setPerUserLimit(1).addAllRegions(List.of("near", "never-connects")).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER);
    EventAdminServiceGrpc.newBlockingStub(admin).createEvent(CreateEventRequest.newBuilder().setRequestId("memory").setEvent(event).build());
  }

  private static void awaitRegion(FlashSaleServiceGrpc.FlashSaleServiceBlockingStub region) throws InterruptedException {
    for (int attempt = 0; attempt < 300; attempt++) {
      try {
        region.withDeadlineAfter(1, TimeUnit.SECONDS).getEvent(GetEventRequest.newBuilder().setEventId("memory").build());
        return;
      } catch (StatusRuntimeException e) {
        Thread.sleep(100);
      }
    }
    throw new IllegalStateException("region node did not come up");
  }

  /** Every purchase is pending at the region once the arbiter holds its ticket, undecided. */
  private static void awaitPending(ManagedChannel admin, int expected, java.util.Map<String, ?> failures)
      throws InterruptedException {
    var stub = EventAdminServiceGrpc.newBlockingStub(admin);
    long seen = 0;
    long progressAtNanos = System.nanoTime();
    // A loaded machine may take minutes; give up only when nothing moves for 30 s.
    while (System.nanoTime() - progressAtNanos < TimeUnit.SECONDS.toNanos(30)) {
      long now = stub.getEvent(flashsale.v1.EventAdminServiceGetEventRequest.newBuilder().setEventId("memory").build())
          .getCounters().getPendingTickets();
      if (now >= expected) return;
      if (!failures.isEmpty()) throw new IllegalStateException(now + " of " + expected + " pending; purchases failed: " + failures);
      if (now > seen) progressAtNanos = System.nanoTime();
      seen = now;
      Thread.sleep(100);
    }
    throw new IllegalStateException("only " + seen + " of " + expected + " purchases became pending, none more in 30 s");
  }

  /**
   * Bytes of live objects, KiB: the total of {@code jcmd GC.class_histogram}, which collects the
   * whole heap first. Exact for any collector, where {@code GC.heap_info}'s "used" counts ZGC's
   * pages in use in megabytes (its idle region read 110–141 MB from run to run).
   */
  private static long heapUsedKb(long pid) throws IOException, InterruptedException {
    String histogram = run(javaBin("jcmd"), Long.toString(pid), "GC.class_histogram");
    var m = TOTAL.matcher(histogram);
    if (!m.find()) throw new IllegalStateException("cannot read the live total from jcmd's class histogram:\n"
        + histogram.lines().limit(5).toList());
    return Long.parseLong(m.group(1)) / 1024;
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", command) + " failed:\n" + out);
    return out;
  }

  private static String javaBin(String tool) {
    return Path.of(System.getProperty("java.home"), "bin", tool).toString();
  }

  private static ManagedChannel channel(String target) {
    return Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
  }
}
