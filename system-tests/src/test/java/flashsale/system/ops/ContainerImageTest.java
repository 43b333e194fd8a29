package flashsale.system.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import flashsale.client.cluster.JarCluster;
import com.google.gson.JsonParser;
import flashsale.net.FreePorts;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nodes' container images as {@code ./mvnw package} builds them (Jib, {@code target/jib-image.tar}
 * of arbiter-node and region-node, on an empty base: no registry is reachable here, and a user's
 * {@code jib:build} puts the same layers and settings on {@code eclipse-temurin:21-jre}). Each is
 * named as deploy/k8s names it, runs as a non-root user, exposes the ports the manifests use and
 * starts its role's main class with the launchers' JVM settings. Then the images' own entrypoints,
 * run from their unpacked layers with this JDK's {@code java} (what the base image adds), start an
 * arbiter and a region that link up and say ready on {@code /readyz}, as Kubernetes' probe asks,
 * and each says the build's version.
 */
class ContainerImageTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  /** The started nodes by name, with their logs. */
  private final java.util.SequencedMap<String, Node> nodes = new LinkedHashMap<>();

  private record Node(Process process, Path log) {}

  /** Each node module's image, unpacked once for the class: the tests only read the trees. */
  @TempDir static Path unpacked;
  private static Image arbiter;
  private static Image region;

  @BeforeAll
  static void unpackImages() throws IOException {
    arbiter = unpack("arbiter-node", unpacked.resolve("arbiter"));
    region = unpack("region-node", unpacked.resolve("region"));
  }

  /** An image tarball's manifest tag, container config and unpacked file system. */
  record Image(String tag, JsonObject config, Path rootFs) {
    List<String> entrypoint() {
      List<String> argv = new ArrayList<>();
      config.getAsJsonArray("Entrypoint").forEach(e -> argv.add(e.getAsString()));
      return argv;
    }

    Map<String, String> environment() {
      Map<String, String> env = new LinkedHashMap<>();
      if (config.has("Env")) {
        config.getAsJsonArray("Env").forEach(e -> {
          String[] kv = e.getAsString().split("=", 2);
          env.put(kv[0], kv[1]);
        });
      }
      return env;
    }

    List<String> exposedPorts() {
      return List.copyOf(config.getAsJsonObject("ExposedPorts").keySet());
    }
  }

  @AfterEach
  void stopNodes() throws InterruptedException {
    for (Node node : nodes.sequencedValues().reversed()) {
      Process p = node.process();
      p.destroy();
      if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
    }
  }

  @Test
  void eachImageIsNamedAndConfiguredAsTheManifestsExpect() throws IOException {
    assertEquals("flashsale/arbiter-node:0.1.0", arbiter.tag());
    assertEquals("flashsale/region-node:0.1.0", region.tag());
    String manifests = Files.readString(MetricsAndAlertsTest.DEPLOY.resolve("k8s/flashsale.yaml"));
    assertTrue(manifests.contains("image: " + arbiter.tag()), "deploy/k8s runs the arbiter image the build names");
    assertTrue(manifests.contains("image: " + region.tag()), "deploy/k8s runs the region image the build names");

    assertTrue(manifests.contains("runAsUser: 65532"), "deploy/k8s runs the pods as the images' user");
    assertEquals("65532:65532", arbiter.config().get("User").getAsString(), "the arbiter runs as a non-root user");
    assertEquals("65532:65532", region.config().get("User").getAsString(), "the region runs as a non-root user");
    assertEquals(List.of("9090/tcp", "9190/tcp"), arbiter.exposedPorts().stream().sorted().toList());
    assertEquals(List.of("9091/tcp", "9191/tcp"), region.exposedPorts().stream().sorted().toList());
    assertEquals("9090", arbiter.environment().get("FLASHSALE_PORT"));
    assertEquals("9190", arbiter.environment().get("FLASHSALE_METRICS_PORT"));
    assertEquals("9091", region.environment().get("FLASHSALE_PORT"));
    assertEquals("9191", region.environment().get("FLASHSALE_METRICS_PORT"));

    // The launchers' role settings (bin/lib/java.sh): the arbiter on G1, a region on ZGC, both on C1.
    List<String> arbiterArgv = arbiter.entrypoint();
    List<String> regionArgv = region.entrypoint();
    assertEquals("java", arbiterArgv.getFirst());
    assertTrue(arbiterArgv.containsAll(List.of("-XX:+UseG1GC", "-Xmx1g", "-XX:TieredStopAtLevel=1")), "arbiter: " + arbiterArgv);
    assertTrue(regionArgv.containsAll(List.of("-XX:+UseZGC", "-Xmx1g", "-XX:TieredStopAtLevel=1")), "region: " + regionArgv);
    assertEquals("flashsale.arbiter.ArbiterMain", arbiterArgv.getLast());
    assertEquals("flashsale.region.RegionMain", regionArgv.getLast());

    // Every library the node needs is in the image: the other modules and the third-party jars.
    for (Image image : List.of(arbiter, region)) {
      Path libs = image.rootFs().resolve("app/libs");
      List<String> jars;
      try (var files = Files.list(libs)) {
        jars = files.map(p -> p.getFileName().toString()).toList();
      }
      for (String needed : List.of("store-", "runtime-", "proto-", "domain-", "grpc-netty-shaded-", "lettuce-core-", "logback-classic-")) {
        assertTrue(jars.stream().anyMatch(j -> j.startsWith(needed)), image.tag() + " has no " + needed + "*.jar in " + jars);
      }
    }
  }

  /**
   * One role, one set of JVM settings, written in three places: the launchers (bin/lib/java.sh), the
   * tests' and benchmarks' node processes ({@link JarCluster}) and the images (the poms' Jib flags).
   * The images always ask for huge pages (a container's kernel setting is not known at build time).
   */
  @Test
  void theLaunchersTheTestClusterAndTheImagesRunEachRoleWithTheSameJvmSettings() throws Exception {
    String hugePages = "-XX:+UseTransparentHugePages";
    List<String> launcherArbiter = launcherOptions("arbiter-node");
    List<String> launcherRegion = launcherOptions("region-node");
    for (List<String> role : List.of(launcherArbiter, launcherRegion)) {
      assertTrue(role.contains("-XX:+ExitOnOutOfMemoryError"), "a node half broken by an OutOfMemoryError exits: " + role);
    }
    assertEquals(launcherArbiter, JarCluster.ARBITER_DEFAULT_JVM_OPTIONS, "bin/lib/java.sh against JarCluster, arbiter");
    assertEquals(launcherRegion, JarCluster.REGION_DEFAULT_JVM_OPTIONS, "bin/lib/java.sh against JarCluster, region");

    List<String> imageArbiter = jvmFlags(arbiter);
    assertTrue(imageArbiter.contains(hugePages), "the arbiter image asks for huge pages: " + imageArbiter);
    assertEquals(sorted(without(launcherArbiter, hugePages)), sorted(without(imageArbiter, hugePages)),
        "bin/lib/java.sh against the arbiter image's entrypoint");
    assertEquals(sorted(launcherRegion), sorted(jvmFlags(region)), "bin/lib/java.sh against the region image's entrypoint");
  }

  /**
   * The JDK's options (8-byte object headers from JDK 25 on): what bin/lib/java.sh passes for this
   * JVM is what {@link JarCluster} passes to the node processes it starts with the same JVM.
   */
  @Test
  void theLaunchersAndTheTestClusterPassTheSameJdkOptions() throws Exception {
    ProcessBuilder setup = new ProcessBuilder("sh", "-c", ". \"$0\"; flashsale_java_setup test; echo $java_opts",
        ROOT.resolve("bin/lib/java.sh").toString()).redirectErrorStream(true);
    setup.environment().put("JAVA_HOME", System.getProperty("java.home")); // the JVM JarCluster launches with
    Process sh = setup.start();
    String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, sh.waitFor(), "flashsale_java_setup: " + out);
    List<String> launcher = List.of(out.split("\\s+"));
    for (String option : JarCluster.jdkOptions()) assertTrue(launcher.contains(option), option + " not in " + launcher);
    assertTrue(launcher.stream().filter(o -> o.startsWith("-XX:")).allMatch(JarCluster.jdkOptions()::contains),
        "the launcher passes -XX options JarCluster does not: " + launcher + " against " + JarCluster.jdkOptions());
  }

  /**
   * A systemd unit or {@code env -i} runs the launchers without HOME or JAVA_HOME: under their
   * {@code set -eu} the JDK search still finds one of 21 or newer (this machine's PATH java is 17).
   */
  @Test
  void theLaunchersFindAJdkWithoutHomeOrJavaHome() throws Exception {
    ProcessBuilder setup = new ProcessBuilder("sh", "-c", "set -eu; . \"$0\"; flashsale_java_setup test; echo $java_major",
        ROOT.resolve("bin/lib/java.sh").toString()).redirectErrorStream(true);
    setup.environment().clear();
    setup.environment().put("PATH", "/usr/bin:/bin");
    Process sh = setup.start();
    String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, sh.waitFor(), "flashsale_java_setup without HOME: " + out);
    assertTrue(Integer.parseInt(out.lines().reduce((a, b) -> b).orElseThrow()) >= 21, out);
  }

  /** What {@code flashsale_node_opts <role>} of bin/lib/java.sh prints, as the launchers would pass it. */
  private static List<String> launcherOptions(String role) throws Exception {
    Process sh = new ProcessBuilder("sh", "-c", ". \"$0\"; flashsale_node_opts \"$1\"",
        ROOT.resolve("bin/lib/java.sh").toString(), role).redirectErrorStream(true).start();
    String out = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertEquals(0, sh.waitFor(), "flashsale_node_opts " + role + ": " + out);
    return List.of(out.split("\\s+"));
  }

  /** The JVM flags of an image's entrypoint: between {@code java} and the class path. */
  private static List<String> jvmFlags(Image image) {
    List<String> argv = image.entrypoint();
    int classPath = argv.indexOf("-cp");
    assertTrue(classPath > 0, image.tag() + " entrypoint has no -cp: " + argv);
    return argv.subList(1, classPath);
  }

  private static List<String> without(List<String> flags, String flag) {
    return flags.stream().filter(f -> !f.equals(flag)).toList();
  }

  private static List<String> sorted(List<String> flags) {
    return flags.stream().sorted().toList();
  }

  @Test
  void theImagesEntrypointsStartAnArbiterAndARegionThatSayReady(@TempDir Path work) throws Exception {
    int arbiterPort = FreePorts.pick();
    int arbiterMetrics = FreePorts.pick();
    int regionPort = FreePorts.pick();
    int regionMetrics = FreePorts.pick();
    // As `docker run -e FLASHSALE_PORT=… image --insecure …` would: the image's environment, some of it overridden.
    launch("arbiter", arbiter, work, Map.of("FLASHSALE_PORT", "" + arbiterPort,
        "FLASHSALE_METRICS_PORT", "" + arbiterMetrics), List.of("--insecure", "--node-id", "arbiter-0"));
    launch("region", region, work, Map.of("FLASHSALE_PORT", "" + regionPort,
        "FLASHSALE_METRICS_PORT", "" + regionMetrics), List.of("--insecure", "--region", "beijing",
        "--arbiter", "127.0.0.1:" + arbiterPort));

    awaitReady("arbiter", arbiterMetrics);
    awaitReady("region", regionMetrics);
  }

  @Test
  void theImagesSayTheirBuildsVersion(@TempDir Path work) throws Exception {
    for (var named : Map.of("arbiter-node", arbiter, "region-node", region).entrySet()) {
      String module = named.getKey();
      Image image = named.getValue();
      String version = image.config().getAsJsonObject("Labels").get("org.opencontainers.image.version").getAsString();
      Process p = launch(module, image, work, Map.of(), List.of("--version"));
      assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS), module + " --version did not exit");
      String printed = Files.readString(work.resolve(module + ".log"));
      assertEquals(0, p.exitValue(), module + " --version: " + printed);
      assertTrue(printed.contains(version), module + " --version should name " + version + ": " + printed);
    }
  }

  /** Unpacks module {@code module}'s image tarball: its manifest and config, and its layers in order into one tree. */
  private static Image unpack(String module, Path into) throws IOException {
    Path tarball = ROOT.resolve(module).resolve("target/jib-image.tar");
    assertTrue(Files.isRegularFile(tarball), "no image at " + tarball + ": ./mvnw package builds it (jib:buildTar)");
    Path jar = ROOT.resolve(module).resolve("target/" + module + ".jar");
    assertTrue(Files.getLastModifiedTime(tarball).compareTo(Files.getLastModifiedTime(jar)) >= 0,
        tarball + " is older than " + jar + ": build the module again (package), not this module alone");
    Path parts = Files.createDirectories(into.resolve("parts"));
    try (InputStream in = Files.newInputStream(tarball)) {
      extract(in, parts);
    }
    JsonObject manifest = JsonParser.parseString(Files.readString(parts.resolve("manifest.json")))
        .getAsJsonArray().get(0).getAsJsonObject();
    JsonObject config = JsonParser.parseString(Files.readString(parts.resolve(manifest.get("Config").getAsString())))
        .getAsJsonObject().getAsJsonObject("config");
    Path rootFs = Files.createDirectories(into.resolve("rootfs"));
    for (var layer : manifest.getAsJsonArray("Layers")) {
      try (InputStream file = Files.newInputStream(parts.resolve(layer.getAsString()));
          InputStream in = new GzipCompressorInputStream(file)) {
        extract(in, rootFs);
      }
    }
    return new Image(manifest.getAsJsonArray("RepoTags").get(0).getAsString(), config, rootFs);
  }

  /** Extracts the tar {@code raw} (closed by the caller) into {@code into}, refusing entries outside it. */
  private static void extract(InputStream raw, Path into) throws IOException {
    TarArchiveInputStream tar = new TarArchiveInputStream(raw);
    for (TarArchiveEntry entry; (entry = tar.getNextEntry()) != null; ) {
      Path target = into.resolve(entry.getName().replaceFirst("^/+", "")).normalize();
      if (!target.startsWith(into)) throw new IOException("entry outside the image: " + entry.getName());
      if (entry.isDirectory()) {
        Files.createDirectories(target);
      } else {
        Files.createDirectories(target.getParent());
        Files.copy(tar, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  /**
   * Runs the image's entrypoint with its /app at the unpacked tree's: this JDK's java for the base
   * image's, and Jib's argument files copied into {@code work} with their /app paths moved along.
   */
  private Process launch(String name, Image image, Path work, Map<String, String> environment, List<String> args)
      throws IOException {
    Path log = work.resolve(name + ".log");
    String app = image.rootFs().resolve("app").toString();
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : image.entrypoint().subList(1, image.entrypoint().size())) {
      if (arg.startsWith("@/app/")) {
        Path file = image.rootFs().resolve(arg.substring(2));
        Path moved = work.resolve(name + "-" + file.getFileName());
        Files.writeString(moved, Files.readString(file).replace("/app/", app + "/"));
        arg = "@" + moved;
      }
      argv.add(arg);
    }
    argv.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(image.environment());
    pb.environment().putAll(environment);
    Process p = pb.start();
    nodes.put(name, new Node(p, log));
    return p;
  }

  private void awaitReady(String name, int metricsPort) throws Exception {
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
      awaitReady(http, name, metricsPort);
    }
  }

  private void awaitReady(HttpClient http, String name, int metricsPort) throws Exception {
    URI readyz = URI.create("http://127.0.0.1:" + metricsPort + "/readyz");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      for (var node : nodes.entrySet()) {
        if (!node.getValue().process().isAlive()) {
          throw new AssertionError(node.getKey() + " from its image exited with " + node.getValue().process().exitValue()
              + "; its log:\n" + Files.readString(node.getValue().log()));
        }
      }
      try {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(readyz).timeout(Duration.ofSeconds(1)).build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (answer.statusCode() == 200) return;
        last = answer.statusCode() + " " + answer.body().strip();
      } catch (IOException notYet) {
        last = notYet.toString();
      }
      Thread.sleep(100);
    }
    throw new AssertionError(name + " from its image not ready on " + readyz + " within 60 s (last: " + last
        + "); its log:\n" + Files.readString(nodes.get(name).log()));
  }
}
