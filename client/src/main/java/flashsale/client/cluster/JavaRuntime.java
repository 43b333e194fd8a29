package flashsale.client.cluster;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code java} that node processes are launched with: the one running this process. The
 * client is compiled for Java 21, so the running JVM is always new enough, whatever the
 * {@code java} on the PATH is (on this machine, 17).
 */
public final class JavaRuntime {
  static final int MIN_FEATURE = 21;

  private JavaRuntime() {}

  public static Path javaBinary() {
    if (Runtime.version().feature() < MIN_FEATURE) {
      throw new IllegalStateException("nodes need Java " + MIN_FEATURE + "+, this JVM is " + Runtime.version());
    }
    Path running = ProcessHandle.current().info().command().map(Path::of).orElse(null);
    if (running != null && Files.isExecutable(running)) return running;
    return Path.of(System.getProperty("java.home"), "bin", "java");
  }
}
