package flashsale.system.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
  void theApiIsLintCleanWithStandardRules(@TempDir Path work) throws Exception {
    Result lint = buf(work, "lint");
    assertEquals(0, lint.exitCode(), "buf lint in proto/:\n" + lint);
    assertEquals("", lint.stdout().strip(), "buf lint in proto/ found something:\n" + lint);
  }

  @Test
  void theApiIsFormattedAsBufFormatsIt(@TempDir Path work) throws Exception {
    Result format = buf(work, "format", "--diff", "--exit-code");
    assertEquals(0, format.exitCode(), "buf format --diff in proto/ (run `buf format -w` there):\n" + format);
  }

  /** buf's findings (stdout) apart from npm's and npx's notices (stderr). */
  private record Result(int exitCode, String stdout, String stderr) {
    @Override
    public String toString() {
      return stdout + (stderr.isBlank() ? "" : "\n(stderr) " + stderr);
    }
  }

  private static Result buf(Path work, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of("npx", "-y", BUF));
    command.addAll(List.of(args));
    Path out = work.resolve("stdout.txt");
    Path err = work.resolve("stderr.txt");
    ProcessBuilder builder = new ProcessBuilder(command).directory(PROTO.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().put("NPM_CONFIG_UPDATE_NOTIFIER", "false");
    Process p;
    try {
      p = builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("npx not found: install Node.js and npm (.ci/run does)", e);
    }
    // Files, not pipes: a hung npx (a registry that does not answer) fails here, not forever.
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("buf did not finish in 120 s: " + command + "\n" + Files.readString(err));
    }
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }
}
