package flashsale.system.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The API's {@code .proto} files as buf sees them (proto/buf.yaml: the STANDARD lint rules), with
 * buf from npm through npx as the README's {@code buf curl} runs it. A missing npx fails the test
 * (.ci/run installs Node.js and npm).
 */
class ProtoLintTest {
  private static final Path PROTO = Path.of("..", "proto").toAbsolutePath().normalize();
  /** Pinned, so a new buf release with new rules cannot fail a build nobody changed. */
  static final String BUF = "@bufbuild/buf@" + System.getProperty("flashsale.buf.version", "1.61.0");

  @Test
  void theApiIsLintCleanWithStandardRules() throws Exception {
    Result lint = buf("lint");
    assertEquals(0, lint.exitCode(), "buf lint in proto/:\n" + lint.output());
    assertEquals("", lint.output().strip(), "buf lint in proto/ says something");
  }

  @Test
  void theApiIsFormattedAsBufFormatsIt() throws Exception {
    Result format = buf("format", "--diff", "--exit-code");
    assertEquals(0, format.exitCode(), "buf format --diff in proto/ (run `buf format -w` there):\n" + format.output());
  }

  private record Result(int exitCode, String output) {}

  private static Result buf(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("npx", "-y", BUF));
    command.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(command).directory(PROTO.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException("npx not found: install Node.js and npm (.ci/run does)", e);
    }
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("buf did not finish in 120 s: " + command);
    }
    return new Result(p.exitValue(), output);
  }
}
