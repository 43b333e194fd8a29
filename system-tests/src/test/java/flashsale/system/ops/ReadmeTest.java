package flashsale.system.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import flashsale.net.FreePorts;
import flashsale.store.testing.RedisServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's marked command blocks ({@link ReadmeBlocks}) run in order, verbatim but for their
 * ports, with no JAVA_HOME set (the launchers find their JDK), against a Redis of the test's own;
 * every command must succeed, and no node or CLI may print a JVM warning. {@code buf} is the
 * npm package run through npx.
 */
class ReadmeTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  /** Ports the README uses; each gets a free one here, 6379 the test's Redis. */
  private static final List<Integer> README_PORTS = List.of(9090, 9091, 9092, 9190, 9191);
  private static final Pattern LISTEN_PORT = Pattern.compile("--(?:metrics-)?port (\\d+)");
  private static final long COMMAND_TIMEOUT_SECONDS = 180;

  @Test
  void theReadmeRunsAsWritten() throws Exception {
    ReadmeBlocks readme = ReadmeBlocks.parse(Files.readString(ROOT.resolve("README.md")));
    assertTrue(readme.blocks().size() >= 4, "marked blocks found: " + readme.blocks().size());
    Path work = Files.createDirectories(ROOT.resolve("system-tests/target/readme-test"));
    List<Process> nodes = new ArrayList<>();
    List<Path> outputs = new ArrayList<>();
    try (RedisServer redis = RedisServer.start()) {
      Map<Integer, Integer> ports = new LinkedHashMap<>();
      for (int port : README_PORTS) ports.put(port, FreePorts.pick());
      ports.put(6379, redis.port());
      ProcessBuilder shell = shell(work);
      int n = 0;
      for (ReadmeBlocks.Block marked : readme.blocks()) {
        ReadmeBlocks.Block block = marked.withPorts(ports);
        // A foreground block runs as one script, as pasted into a shell; a background block
        // starts one process per command.
        List<String> commands = block.background() ? block.commands() : List.of(block.text());
        for (String command : commands) {
          Path output = work.resolve("command-" + (++n) + ".txt");
          outputs.add(output);
          List<String> bash = block.background()
              ? List.of("bash", "-c", command) : List.of("bash", "-e", "-o", "pipefail", "-c", command);
          Process p = shell.command(bash).redirectOutput(output.toFile()).start();
          if (block.background()) {
            nodes.add(p);
            awaitListening(command, p, output);
          } else if (!p.waitFor(COMMAND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("README line " + block.line() + ": timed out: " + command + "\n" + Files.readString(output));
          } else {
            assertEquals(0, p.exitValue(), "README line " + block.line() + ": " + command + "\n" + Files.readString(output));
          }
        }
      }
    } finally {
      for (Process p : nodes) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
      }
      for (Process p : nodes) p.waitFor(10, TimeUnit.SECONDS);
    }
    for (Path output : outputs) {
      for (String line : Files.readAllLines(output, StandardCharsets.UTF_8)) {
        assertTrue(!line.startsWith("WARNING:"), output + " has a JVM warning: " + line);
      }
    }
  }

  /** bash in the repository root with no JAVA_HOME, {@code buf} on the PATH. */
  private static ProcessBuilder shell(Path work) throws IOException {
    Path bin = Files.createDirectories(work.resolve("bin"));
    Path buf = bin.resolve("buf");
    Files.writeString(buf, "#!/bin/sh\nexec npx -y " + ProtoLintTest.BUF + " \"$@\"\n"); // the same pinned buf
    buf.toFile().setExecutable(true);
    ProcessBuilder pb = new ProcessBuilder().directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().remove("JAVA_HOME");
    pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
    return pb;
  }

  private static void awaitListening(String command, Process p, Path output) throws Exception {
    Matcher m = LISTEN_PORT.matcher(command);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (m.find()) {
      int port = Integer.parseInt(m.group(1));
      while (!listening(port)) {
        if (!p.isAlive()) fail("exited with " + p.exitValue() + ": " + command + "\n" + Files.readString(output));
        if (System.nanoTime() > deadline) fail("not listening on " + port + ": " + command + "\n" + Files.readString(output));
        Thread.sleep(100);
      }
    }
  }

  private static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
