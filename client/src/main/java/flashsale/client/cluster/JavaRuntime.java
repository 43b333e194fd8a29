package flashsale.client.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The {@code java} that node processes are launched with: the one running this process. The
 * client is compiled for Java 21, so the running JVM is always new enough, whatever the
 * {@code java} on the PATH is (on this machine, 17).
 */
public final class JavaRuntime {
  static final int MIN_FEATURE = 21;

  private static final Map<String, List<String>> ACCEPTED = new ConcurrentHashMap<>();

  private JavaRuntime() {}

  /**
   * {@code options} (space-separated) when {@link #javaBinary()} starts with them, else none: JVMs
   * differ in the ranges they allow (Java 17 refuses a negative JavaPriorityN_To_OSPriority). Asked
   * once per option string.
   */
  public static List<String> acceptedOptions(String options) {
    return ACCEPTED.computeIfAbsent(options, o -> {
      List<String> command = new ArrayList<>();
      command.add(javaBinary().toString());
      command.addAll(List.of(o.split(" ")));
      command.add("-version");
      try {
        Process probe = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        boolean accepted = probe.waitFor(30, TimeUnit.SECONDS) && probe.exitValue() == 0;
        return accepted ? List.of(o.split(" ")) : List.of();
      } catch (IOException e) {
        return List.of();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return List.of();
      }
    });
  }

  public static Path javaBinary() {
    if (Runtime.version().feature() < MIN_FEATURE) {
      throw new IllegalStateException("nodes need Java " + MIN_FEATURE + "+, this JVM is " + Runtime.version());
    }
    Path running = ProcessHandle.current().info().command().map(Path::of).orElse(null);
    if (running != null && Files.isExecutable(running)) return running;
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }
}
