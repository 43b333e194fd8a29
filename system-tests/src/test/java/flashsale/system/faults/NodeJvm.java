package flashsale.system.faults;

import flashsale.net.FreePorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node's fat jar ({@code <module>/target/<module>.jar}, built by the reactor before this
 * module's tests) run as a real OS process on a port fixed for its whole life, so a restart comes
 * back where clients already point, and faults are real: SIGKILL, SIGSTOP/SIGCONT. Output goes
 * to {@code target/fault-logs/<name>.log}.
 */
final class NodeJvm implements AutoCloseable {
  final String name;
  final int port;
  private final String module;
  private Process process;

  NodeJvm(String module, String name) throws IOException {
    this.module = module;
    this.name = name;
    this.port = FreePorts.pick();
  }

  /**
   * The module's jar; {@code -Dfaults.jar-dir=DIR} takes {@code DIR/<module>.jar} instead (a
   * benchmark of a saved build while the tree is rebuilt).
   */
  static Path jar(String module) {
    String dir = System.getProperty("faults.jar-dir", "");
    if (!dir.isEmpty()) return Path.of(dir, module + ".jar");
    Path root = Path.of("").toAbsolutePath();
    if (!Files.exists(root.resolve(module))) root = root.getParent();
    Path jar = root.resolve(module + "/target/" + module + ".jar");
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: build it first (./mvnw -pl " + module + " -am package -DskipTests,"
          + " or run ./mvnw verify, which packages it before system-tests run)");
    }
    return jar;
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  /** Starts (or restarts) the process with {@code args} after {@code java -jar <jar>}. */
  void start(List<String> args) throws IOException {
    if (alive()) throw new IllegalStateException(name + " is already running as pid " + process.pid());
    Path logs = Path.of("target", "fault-logs");
    Files.createDirectories(logs);
    List<String> command = new ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dorg.slf4j.simpleLogger.showDateTime=true", "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
        "-jar", jar(module).toString()));
    command.addAll(args);
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(logs.resolve(name + ".log").toFile()))
        .start();
  }

  /** SIGKILL: no shutdown hook runs, open calls and connections just die. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }

  void pause() throws IOException, InterruptedException {
    signal("-STOP");
  }

  void resume() throws IOException, InterruptedException {
    signal("-CONT");
  }

  /** The last {@code count} lines of this node's log, to say why it did not do what a test waited for. */
  String lastLogLines(int count) {
    Path log = Path.of("target", "fault-logs", name + ".log");
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    } catch (IOException | RuntimeException e) {
      return "(no log at " + log + ": " + e + ")";
    }
  }

  /** What a failed wait should say about this node: alive or not, and its log's last lines. */
  String describe(int logLines) {
    return name + (alive() ? " (running)" : process == null ? " (never started)" : " (exited " + process.exitValue() + ")")
        + ", last log lines:\n" + lastLogLines(logLines);
  }

  /** The OS process id, for jcmd. */
  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process != null && process.isAlive();
  }

  private void signal(String signal) throws IOException, InterruptedException {
    int exit = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start().waitFor();
    if (exit != 0) throw new IllegalStateException("kill " + signal + " " + process.pid() + " exited " + exit);
  }

  @Override
  public void close() throws InterruptedException {
    if (process == null) return;
    if (process.isAlive()) {
      try {
        resume();
      } catch (IOException | RuntimeException ignored) {
        // already gone
      }
    }
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) kill();
  }
}
