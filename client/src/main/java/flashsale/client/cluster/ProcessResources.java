package flashsale.client.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What a node process holds now, read from Linux's {@code /proc/<pid>}: resident memory, threads and
 * open file descriptors. Taken after each of many sales on the same processes, a figure that only
 * grows is a leak the first sale cannot show.
 *
 * @param residentBytes VmRSS
 * @param threads the process's threads
 * @param openFiles entries of {@code /proc/<pid>/fd} (sockets included)
 */
public record ProcessResources(long residentBytes, int threads, int openFiles) {
  /** The process's figures, or empty where there is no {@code /proc} or the process is gone. */
  public static Optional<ProcessResources> of(long pid) {
    return of(Path.of("/proc", Long.toString(pid)));
  }

  static Optional<ProcessResources> of(Path procDir) {
    try {
      long rssKib = -1;
      int threads = -1;
      for (String line : Files.readAllLines(procDir.resolve("status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("VmRSS:")) rssKib = firstNumber(line);
        if (line.startsWith("Threads:")) threads = (int) firstNumber(line);
      }
      if (rssKib < 0 || threads < 0) return Optional.empty();
      int files;
      try (Stream<Path> fds = Files.list(procDir.resolve("fd"))) {
        files = (int) fds.count();
      }
      return Optional.of(new ProcessResources(rssKib * 1024, threads, files));
    } catch (IOException | RuntimeException goneOrNotLinux) {
      return Optional.empty();
    }
  }

  /** {@code "VmRSS:	  412345 kB"} → 412345. */
  private static long firstNumber(String line) {
    return Long.parseLong(line.replaceAll("[^0-9]+", " ").trim().split(" ")[0]);
  }

  /** {@code rss 402 MB, 45 threads, 73 open files}. */
  public String describe() {
    return String.format(java.util.Locale.ROOT, "rss %d MB, %d threads, %d open files", residentBytes >> 20, threads, openFiles);
  }
}
