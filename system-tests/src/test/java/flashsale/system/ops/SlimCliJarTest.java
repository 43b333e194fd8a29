package flashsale.system.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/**
 * The CLI an operator copies to a bastion host ({@code cli/target/flashsale-cli.jar}, built by the
 * reactor before these tests) carries no server: no arbiter, region, store or lab class, no Redis
 * client, no server runtime (auth interceptor, server builders, metrics); and it still runs the
 * cluster commands.
 */
class SlimCliJarTest {
  private static final List<String> SERVER_PACKAGES = List.of(
      "flashsale/arbiter/", "flashsale/region/", "flashsale/store/redis/", "flashsale/store/memory/",
      "flashsale/store/modes/", "flashsale/client/lab/", "flashsale/client/bench/", "flashsale/client/cluster/",
      "flashsale/client/demo/", "io/lettuce/",
      // the nodes' runtime: server builders, auth interceptor, metrics endpoint, rate limits, start-up
      "flashsale/security/", "flashsale/net/", "flashsale/metrics/", "flashsale/limits/", "flashsale/ops/",
      "io/micrometer/", "com/nimbusds/");

  static Path cliJar() {
    Path root = Path.of("").toAbsolutePath();
    if (!Files.exists(root.resolve("cli"))) root = root.getParent();
    Path jar = root.resolve("cli/target/flashsale-cli.jar");
    assertTrue(Files.isRegularFile(jar), jar + " is missing: ./mvnw verify packages it before system-tests run");
    return jar;
  }

  @Test
  void holdsNoServerClasses() throws IOException {
    try (JarFile jar = new JarFile(cliJar().toFile())) {
      List<String> server = jar.stream().map(e -> e.getName())
          .filter(name -> SERVER_PACKAGES.stream().anyMatch(name::startsWith)).limit(10).toList();
      assertEquals(List.of(), server, "server classes in the CLI jar");
      assertTrue(jar.getEntry("flashsale/client/cli/FlashSaleCli.class") != null, "the CLI itself is missing");
    }
  }

  @Test
  void runsTheClusterCommandsAndOnlyThem() throws Exception {
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", cliJar().toString(), "--help").redirectErrorStream(true).start();
    String help = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(30, TimeUnit.SECONDS), "flashsale-cli --help did not exit");
    assertEquals(0, process.exitValue(), help);
    for (String command : List.of("purchase", "reserve", "status", "event", "regions", "token", "dev-certs")) {
      assertTrue(help.contains("  " + command), command + " missing from:\n" + help);
    }
    assertFalse(help.contains("  demo"), "the lab's demo is in the slim CLI:\n" + help);
  }

  /** A command that opens a channel prints nothing but its own output on stdout: no library's logging. */
  @Test
  void aFailedCallPrintsNoLogLinesOnStdout() throws Exception {
    Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", cliJar().toString(), "status", "--target", "127.0.0.1:1", "--event", "e", "--json", "r-1").start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "flashsale-cli status did not exit");
    assertEquals("", out, "stdout of a call that failed");
    assertTrue(err.lines().anyMatch(l -> l.startsWith("error: UNAVAILABLE")), err);
    assertFalse(err.contains("DEBUG"), err);
  }
}
