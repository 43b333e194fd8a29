package flashsale.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.BindException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options from flags, FLASHSALE_* variables and a --config file, in that order; one-line failures. */
class NodeCommandLineTest {
  @TempDir Path dir;

  @Command(name = "node")
  static final class Node implements Callable<Integer> {
    @Mixin NodeOptions options;
    @Option(names = "--redis-uri") String redisUri;
    @Option(names = "--port") int port = 1;
    @Option(names = "--region", required = true) String region;
    @Option(names = "--fail") boolean fail;
    String seen;

    @Override
    public Integer call() throws IOException {
      if (fail) throw new IOException("cannot start", new BindException("Address already in use"));
      seen = region + " " + port + " " + redisUri + " " + options.bind();
      return 0;
    }
  }

  private final StringWriter err = new StringWriter();

  private int run(Node node, Map<String, String> env, String... args) {
    return NodeCommandLine.run(node, args, new PrintWriter(new StringWriter()), new PrintWriter(err, true), env::get);
  }

  @Test
  void flagsWinOverEnvironmentWhichWinsOverTheFile() throws IOException {
    Path file = Files.writeString(dir.resolve("node.yaml"), "port: 7\nredis-uri: \"redis://file:1\"\nregion: file-region\nbind: 127.0.0.1\n");
    Node fromFile = new Node();
    assertEquals(0, run(fromFile, Map.of(), "--config", file.toString()));
    assertEquals("file-region 7 redis://file:1 127.0.0.1", fromFile.seen);

    Node fromEnv = new Node();
    assertEquals(0, run(fromEnv, Map.of("FLASHSALE_PORT", "8", "FLASHSALE_REDIS_URI", "redis://env:1"), "--config", file.toString()));
    assertEquals("file-region 8 redis://env:1 127.0.0.1", fromEnv.seen);

    Node fromFlags = new Node();
    assertEquals(0, run(fromFlags, Map.of("FLASHSALE_PORT", "8", "FLASHSALE_CONFIG", file.toString()), "--port", "9", "--region", "r"));
    assertEquals("r 9 redis://file:1 127.0.0.1", fromFlags.seen);
  }

  @Test
  void aRequiredOptionMayComeFromTheEnvironment() {
    Node node = new Node();
    assertEquals(0, run(node, Map.of("FLASHSALE_REGION", "eu")));
    assertEquals("eu 1 null 0.0.0.0", node.seen);
  }

  @Test
  void badInputAndStartFailuresAreOneLine() throws IOException {
    Path file = Files.writeString(dir.resolve("bad.properties"), "prot=9\n");
    assertEquals(2, run(new Node(), Map.of(), "--config", file.toString(), "--region", "r"));
    assertEquals(2, run(new Node(), Map.of("FLASHSALE_PORT", "nine"), "--region", "r"));
    assertEquals(1, run(new Node(), Map.of(), "--region", "r", "--fail"));
    String[] lines = err.toString().split("\n");
    assertEquals(3, lines.length, err.toString());
    assertTrue(lines[0].startsWith("node: config file ") && lines[0].contains("unknown key(s) [prot]"), lines[0]);
    assertTrue(lines[1].contains("'nine' is not an int"), lines[1]);
    assertEquals("node: cannot start: Address already in use", lines[2]);
  }
}
