package flashsale.system.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Prometheus' own checker, {@code promtool} (Debian: {@code apt-get install prometheus}; .ci/run installs it). */
final class Promtool {
  record Result(int exitCode, String output) {}

  private Promtool() {}

  /** Runs {@code promtool args...}, feeding {@code stdin}; a missing promtool fails the test, never skips it. */
  static Result run(String stdin, Path workDir, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("promtool"));
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("promtool not found: install it with 'apt-get install prometheus' (.ci/run does)", e);
    }
    try (var in = p.getOutputStream()) {
      if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) throw new IllegalStateException("promtool did not finish: " + command);
    return new Result(p.exitValue(), output);
  }
}
