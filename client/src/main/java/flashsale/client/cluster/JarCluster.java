package flashsale.client.cluster;

import flashsale.client.wire.WireLog;
import flashsale.client.wire.WireTap;
import flashsale.net.FreePorts;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.RegionStatus;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deployment of real node processes started from the jars: an arbiter, a region {@code near}
 * beside it and a region {@code far} reaching it through a {@link TcpDelayProxy} with a one-way
 * delay, and a zero-delay {@link WireTap} in front of each region noting when each purchase's
 * bytes reached it. Every process is fresh (cold) when {@link #start} returns. Node output goes
 * to {@code <logDir>/<node>.log}.
 */
public final class JarCluster implements AutoCloseable {
  /**
   * Options of the JDK rather than the role, taken where the JVM accepts them, as bin/lib/java.sh
   * takes them from JDK 25 on: 8-byte object headers (JEP 519; about 11 % less heap per pending
   * {@code Purchase} call in a region). Before the role's options, as the launchers pass them, so
   * FLASHSALE_NODE_JVM_OPTS can turn them off.
   */
  static final String JDK_OPTIONS = "-XX:+UseCompactObjectHeaders";
  /**
   * A region's socket-reading threads (Java's MAX_PRIORITY, see StampedTransport) run at nice -15
   * where the process may raise priorities (root or CAP_SYS_NICE), and the JVM's own compiler, GC
   * and VM threads (NEAR_MAX) at nice 0 instead of -4, so a busy core wakes the reader first.
   */
  static final String READ_PRIORITY_OPTIONS =
      "-XX:ThreadPriorityPolicy=1 -XX:JavaPriority10_To_OSPriority=-15 -XX:JavaPriority9_To_OSPriority=0 -XX:JavaPriority8_To_OSPriority=0";

  // Before the role options below, whose initializers read it.
  private static final Pattern HUGE_PAGES_ON_REQUEST = Pattern.compile("\\[(always|madvise)]");

  /**
   * The node JVM settings of bin/lib/java.sh, by role: a region on ZGC (pauses under a millisecond,
   * so a pause never holds a burst's bytes past their stamp), the arbiter on G1 with its heap on
   * transparent huge pages where the kernel offers them (ZGC's concurrent collector fell behind
   * with three nodes on two cores, and a 4 KiB-mapped heap stalls the VMs this project is measured
   * on; see docs/measurements.md, "Machine stalls"); a fixed heap and metaspace floor so start-up
   * does not trigger collections of its own; both compile with C1 alone (C2 compiling the decision
   * path during the first bursts took about half the nodes' CPU on two cores; README, "Measured"); both
   * exit on an OutOfMemoryError (half broken, a node would go on failing calls unrestarted). {@code -Dflashsale.node.jvm.options="..."} or the
   * launchers' FLASHSALE_NODE_JVM_OPTS (the property wins) replaces both, e.g. to compare collectors.
   */
  private static final String COMPILER = "-XX:TieredStopAtLevel=1 -XX:+ExitOnOutOfMemoryError";
  /** The arbiter's settings before any override: bin/lib/java.sh's {@code flashsale_node_opts arbiter}. */
  public static final List<String> ARBITER_DEFAULT_JVM_OPTIONS = words(
      "-XX:+UseG1GC -Xms512m -Xmx1g -XX:MetaspaceSize=128m " + COMPILER + hugePageOption());
  /** A region's settings before any override: bin/lib/java.sh's {@code flashsale_node_opts region}. */
  public static final List<String> REGION_DEFAULT_JVM_OPTIONS = words("-XX:+UseZGC -Xms512m -Xmx1g -XX:MetaspaceSize=128m " + COMPILER);
  public static final List<String> ARBITER_JVM_OPTIONS = nodeJvmOptions(ARBITER_DEFAULT_JVM_OPTIONS);
  public static final List<String> REGION_JVM_OPTIONS = nodeJvmOptions(REGION_DEFAULT_JVM_OPTIONS);

  private static List<String> nodeJvmOptions(List<String> roleDefault) {
    String options = System.getProperty("flashsale.node.jvm.options", System.getenv("FLASHSALE_NODE_JVM_OPTS"));
    return options == null || options.isBlank() ? roleDefault : words(options); // blank: unset, as java.sh's ${…:-…}
  }

  private static List<String> words(String options) {
    return List.of(options.trim().split("\\s+"));
  }

  /** Both roles' JVM options, for a run's setup line. */
  public static String describeJvmOptions() {
    return "arbiter " + String.join(" ", ARBITER_JVM_OPTIONS) + "; regions " + String.join(" ", REGION_JVM_OPTIONS);
  }

  /** As bin/lib/java.sh: G1's heap (anonymous memory) on transparent huge pages where the kernel offers them. */
  private static String hugePageOption() {
    try {
      String setting = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
      return offersHugePages(setting) ? " -XX:+UseTransparentHugePages" : "";
    } catch (IOException | RuntimeException notLinux) {
      return "";
    }
  }

  /** Whether a kernel THP setting such as {@code "always [madvise] never"} grants huge pages on request. */
  static boolean offersHugePages(String setting) {
    return HUGE_PAGES_ON_REQUEST.matcher(setting).find();
  }

  private static final Logger log = LoggerFactory.getLogger(JarCluster.class);
  public static final List<String> REGIONS = List.of("near", "far");

  /**
   * @param redisUri the arbiter's store; null keeps it in the arbiter's memory
   * @param jvmOptions options for every node JVM after its role's ({@link #ARBITER_JVM_OPTIONS},
   *     {@link #REGION_JVM_OPTIONS}), e.g. {@code -Xmx2g}; usually none
   * @param regionArgs flags added to every region's command line, e.g. rate limits
   * @param arbiterArgs flags added to the arbiter's command line
   */
  public record Settings(Path arbiterJar, Path regionJar, long farDelayMs, String redisUri, Path logDir, List<String> jvmOptions,
      List<String> regionArgs, List<String> arbiterArgs) {
    public Settings {
      jvmOptions = List.copyOf(jvmOptions);
      regionArgs = List.copyOf(regionArgs);
      arbiterArgs = List.copyOf(arbiterArgs);
      if (farDelayMs < 0) throw new IllegalArgumentException("far delay must be >= 0 ms, got " + farDelayMs);
    }

    /** The jars where a reactor build leaves them, found from {@code root} or its parent. */
    public static Settings fromBuild(Path root, long farDelayMs, String redisUri, Path logDir) {
      return new Settings(findJar(root, "arbiter-node"), findJar(root, "region-node"), farDelayMs, redisUri, logDir,
          List.of(), List.of(), List.of());
    }

    /** The same deployment with {@code args} added to every region's command line. */
    public Settings withRegionArgs(List<String> args) {
      return new Settings(arbiterJar, regionJar, farDelayMs, redisUri, logDir, jvmOptions, args, arbiterArgs);
    }

    /**
     * The same deployment in development mode: every node {@code --insecure} (plaintext links, no
     * identity checks), for tests that speak raw HTTP/2 to the nodes' gRPC layer.
     */
    public Settings insecure() {
      List<String> region = new ArrayList<>(regionArgs);
      region.add("--insecure");
      List<String> arbiter = new ArrayList<>(arbiterArgs);
      arbiter.add("--insecure");
      return new Settings(arbiterJar, regionJar, farDelayMs, redisUri, logDir, jvmOptions, region, arbiter);
    }

    boolean secure() {
      return !arbiterArgs.contains("--insecure");
    }

    /** The same deployment with {@code args} added to the arbiter's command line. */
    public Settings withArbiterArgs(List<String> args) {
      return new Settings(arbiterJar, regionJar, farDelayMs, redisUri, logDir, jvmOptions, regionArgs, args);
    }
  }

  private final Settings settings;
  /** Nodes serving region near (named near-1, near-2, …, each its own process, port and tap, when more than one). */
  private final int nearNodes;
  /** Each node's process by name ({@code arbiter}, {@code region-near}, …), in start order. */
  private final LinkedHashMap<String, Process> processes = new LinkedHashMap<>();
  /** Each region's taps, one per node, in node order. */
  private final Map<String, List<WireTap>> taps = new LinkedHashMap<>();
  private final Map<String, Integer> regionPorts = new LinkedHashMap<>();
  private final WireLog wireLog = new WireLog();
  private TcpDelayProxy farLink;
  private int arbiterPort;
  /** Every node link is mutual TLS with certificates from this throw-away CA. */
  private DevPki pki;

  private JarCluster(Settings settings, int nearNodes) {
    if (nearNodes < 1) throw new IllegalArgumentException("near needs at least one node, got " + nearNodes);
    this.settings = settings;
    this.nearNodes = nearNodes;
  }

  /** Starts the arbiter, the two regions and their taps, and waits until both regions stream to the arbiter. */
  public static JarCluster start(Settings settings, Duration timeout) throws IOException, InterruptedException {
    return start(settings, timeout, 1);
  }

  /**
   * As above, with {@code nearNodes} node processes serving region near (near-1, near-2, …), each
   * with its own stream to the arbiter and its own tap ({@link #regionTargets}).
   */
  public static JarCluster start(Settings settings, Duration timeout, int nearNodes)
      throws IOException, InterruptedException {
    JarCluster cluster = new JarCluster(settings, nearNodes);
    try {
      cluster.startAll(timeout);
      return cluster;
    } catch (IOException | InterruptedException | RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  private void startAll(Duration timeout) throws IOException, InterruptedException {
    Files.createDirectories(settings.logDir());
    if (settings.secure()) pki = DevPki.create(settings.logDir().resolve("pki"));
    arbiterPort = FreePorts.pick();
    List<String> arbiterArgs = new ArrayList<>(List.of("--node-id", "arbiter-1", "--port", Integer.toString(arbiterPort)));
    if (settings.secure()) arbiterArgs.addAll(pki.arbiterArgs("arbiter-1"));
    if (settings.redisUri() != null) arbiterArgs.addAll(List.of("--redis", settings.redisUri()));
    arbiterArgs.addAll(settings.arbiterArgs());
    launch(settings.arbiterJar(), ARBITER_JVM_OPTIONS, "arbiter", arbiterArgs);
    awaitArbiter(timeout); // a region that connects too early would back off and start late
    farLink = new TcpDelayProxy(arbiterPort, settings.farDelayMs());
    for (String region : REGIONS) {
      int nodes = nodes(region);
      for (int n = 1; n <= nodes; n++) launchRegionNode(region, nodes == 1 ? "" : region + "-" + n);
    }
    awaitRegionsConnected(timeout);
    for (String region : REGIONS) {
      for (String target : regionTargets(region)) {
        ServingHealth.await(target, System.nanoTime() + timeout.toNanos(), "region " + region + " at " + target);
      }
    }
  }

  private int nodes(String region) {
    return region.equals("near") ? nearNodes : 1;
  }

  /** One node of {@code region}: every node of a region proves the region with the same kind of certificate. */
  private void launchRegionNode(String region, String nodeId) throws IOException {
    int port = FreePorts.pick();
    String arbiter = region.equals("far") ? farLink.address() : "127.0.0.1:" + arbiterPort;
    List<String> args = new ArrayList<>(List.of("--region", region, "--port", Integer.toString(port),
        "--arbiter", arbiter, "--heartbeat-interval-ms", "2", "--max-pending", "1000000"));
    if (!nodeId.isEmpty()) args.addAll(List.of("--node-id", nodeId));
    if (settings.secure()) args.addAll(pki.regionArgs(region));
    args.addAll(settings.regionArgs());
    launch(settings.regionJar(), REGION_JVM_OPTIONS, "region-" + (nodeId.isEmpty() ? region : nodeId), args);
    regionPorts.putIfAbsent(region, port);
    taps.computeIfAbsent(region, r -> new ArrayList<>()).add(new WireTap(port, wireLog));
  }

  /** The names of the nodes (e.g. {@code arbiter}, {@code region-near}), in start order. */
  public List<String> nodeNames() {
    return List.copyOf(processes.keySet());
  }

  /** What node {@code name} holds now ({@link ProcessResources}); empty once it is gone or off Linux. */
  public Optional<ProcessResources> resources(String name) {
    Process p = node(name);
    return p.isAlive() ? ProcessResources.of(p.pid()) : Optional.empty();
  }

  /** The CPU time node {@code name} has used so far (user and system, all threads), or empty where the OS does not say. */
  public Optional<Duration> cpuTime(String name) {
    return node(name).info().totalCpuDuration();
  }

  /**
   * Has node {@code name} collect its whole heap now ({@code jcmd <pid> GC.run}, from the JDK that
   * runs the nodes) and waits for it: the heap its GC log then shows is its live set.
   */
  public void collectFully(String name) throws IOException, InterruptedException {
    Process node = node(name);
    Path jcmd = JavaRuntime.javaBinary().resolveSibling("jcmd");
    if (!Files.isExecutable(jcmd)) {
      throw new IOException("a full collection needs jcmd, which comes with a JDK; there is none at " + jcmd
          + " (run with JAVA_HOME set to a JDK)");
    }
    Process run = new ProcessBuilder(jcmd.toString(), Long.toString(node.pid()), "GC.run").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    if (!run.waitFor(60, TimeUnit.SECONDS)) {
      run.destroyForcibly();
      throw new IOException(jcmd + " " + node.pid() + " GC.run took over 60 s");
    }
    if (run.exitValue() != 0) throw new IOException(jcmd + " " + node.pid() + " GC.run exited with " + run.exitValue());
  }

  private Process node(String name) {
    Process p = processes.get(name);
    if (p == null) throw new IllegalArgumentException("no node " + name + "; nodes: " + processes.keySet());
    return p;
  }

  /** Where node {@code name} (e.g. {@code region-near}, {@code arbiter}) logs its collections. */
  public Path gcLog(String name) {
    return settings.logDir().resolve(name + "-gc.log");
  }

  /** A region's JVM options as bin/region passes them, but for the reading threads' priority: its role's, then the JDK's. */
  public static List<String> regionLauncherOptions() {
    List<String> options = new ArrayList<>(jdkOptions());
    options.addAll(REGION_JVM_OPTIONS);
    return options;
  }

  /** {@link #JDK_OPTIONS} where the JVM that launches nodes takes them, else none. */
  public static List<String> jdkOptions() {
    return JavaRuntime.acceptedOptions(JDK_OPTIONS);
  }

  /**
   * The start of a region node's command line: the JVM and the options a region is launched with
   * here (its role's, then the reading threads' priority where the JVM takes it), so a process set
   * beside a region (a benchmark's no-op ceiling) runs under the same settings.
   */
  public static List<String> regionJavaCommand() {
    List<String> command = new ArrayList<>();
    command.add(JavaRuntime.javaBinary().toString());
    command.addAll(regionLauncherOptions());
    command.addAll(JavaRuntime.acceptedOptions(READ_PRIORITY_OPTIONS));
    return command;
  }

  private void launch(Path jar, List<String> roleJvmOptions, String name, List<String> args) throws IOException {
    if (!Files.isRegularFile(jar)) {
      throw new IllegalArgumentException("no jar at " + jar.toAbsolutePath() + ": build it with ./mvnw -B -DskipTests package");
    }
    List<String> command = new ArrayList<>();
    command.add(JavaRuntime.javaBinary().toString());
    command.addAll(jdkOptions());
    command.addAll(roleJvmOptions);
    // Every collection, one line each, for a run's report to set beside its tail (cheap: a line per cycle).
    command.add("-Xlog:gc:file=" + gcLog(name).toAbsolutePath() + ":utctime");
    command.addAll(settings.jvmOptions());
    command.addAll(JavaRuntime.acceptedOptions(READ_PRIORITY_OPTIONS));
    command.addAll(List.of("-jar", jar.toString()));
    command.addAll(args);
    Process p = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(settings.logDir().resolve(name + ".log").toFile()))
        .start();
    if (processes.putIfAbsent(name, p) != null) throw new IllegalStateException("node " + name + " started twice");
    log.info("node started name={} pid={} args={}", name, p.pid(), args);
  }

  private void awaitArbiter(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (java.net.Socket probe = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), arbiterPort)) {
        return;
      } catch (IOException notYet) {
        if (!processes.firstEntry().getValue().isAlive()) throw new IllegalStateException("the arbiter exited; see " + settings.logDir());
        if (System.nanoTime() > deadline) throw new IllegalStateException("arbiter not listening within " + timeout);
        Thread.sleep(20);
      }
    }
  }

  private void awaitRegionsConnected(Duration timeout) throws InterruptedException {
    ManagedChannel admin = adminChannel();
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      while (true) {
        for (Process p : processes.values()) {
          if (!p.isAlive()) throw new IllegalStateException("node pid " + p.pid() + " exited with " + p.exitValue() + "; see " + settings.logDir());
        }
        try {
          List<RegionStatus> regions = EventAdminServiceGrpc.newBlockingStub(admin).withDeadlineAfter(1, TimeUnit.SECONDS)
              .listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList();
          if (REGIONS.stream().allMatch(r -> regions.stream().filter(s -> s.getRegion().equals(r) && s.getConnected())
              .count() >= nodes(r))) {
            return;
          }
        } catch (StatusRuntimeException notYet) {
          // the arbiter is still starting
        }
        if (System.nanoTime() > deadline) throw new IllegalStateException("regions not connected within " + timeout + "; see " + settings.logDir());
        Thread.sleep(50);
      }
    } finally {
      admin.shutdownNow();
    }
  }

  public String arbiterTarget() {
    return "127.0.0.1:" + arbiterPort;
  }

  /**
   * A channel to the arbiter as an admin (client certificate of this cluster's CA; plaintext in
   * development mode); the caller shuts it down.
   */
  public ManagedChannel adminChannel() {
    return Grpc.newChannelBuilder(arbiterTarget(), settings.secure()
        ? pki.credentials(flashsale.credentials.Role.ADMIN, "ops") : InsecureChannelCredentials.create()).build();
  }

  /** The far region's link to the arbiter (delay, and what crossed it first on each connection). */
  public TcpDelayProxy farLink() {
    return farLink;
  }

  /** The certificates of this cluster's nodes and clients. */
  public DevPki pki() {
    return pki;
  }

  /** Where buyers of {@code region} connect: its (first node's) tap. */
  public String regionTarget(String region) {
    return regionTargets(region).get(0);
  }

  /** The taps of every node of {@code region}, in node order: a load balancer would spread buyers over them. */
  public List<String> regionTargets(String region) {
    List<WireTap> all = taps.get(region);
    if (all == null) throw new IllegalArgumentException("no region " + region);
    return all.stream().map(WireTap::address).toList();
  }

  /** The region's own port, behind its tap: for clients whose bytes no tap should see. */
  public int regionPort(String region) {
    Integer port = regionPorts.get(region);
    if (port == null) throw new IllegalArgumentException("no region " + region);
    return port;
  }

  public int arbiterPort() {
    return arbiterPort;
  }

  public WireLog wireLog() {
    return wireLog;
  }

  /** Connections whose bytes the taps could not follow. */
  public long brokenTapConnections() {
    return taps.values().stream().flatMap(List::stream).mapToLong(WireTap::brokenConnections).sum();
  }

  public long farDelayMs() {
    return settings.farDelayMs();
  }

  static Path findJar(Path root, String module) {
    Path jar = root.resolve(module + "/target/" + module + ".jar");
    if (!Files.exists(jar) && root.toAbsolutePath().getParent() != null) {
      jar = root.toAbsolutePath().getParent().resolve(module + "/target/" + module + ".jar");
    }
    return jar;
  }

  @Override
  public void close() throws InterruptedException {
    taps.values().forEach(list -> list.forEach(WireTap::close));
    for (Process p : processes.sequencedValues().reversed()) p.destroy();
    for (Process p : processes.values()) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    }
    if (farLink != null) farLink.close();
  }
}
