package flashsale.client.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The collections a node process logged ({@code -Xlog:gc:file=…:utctime}, as {@code JarCluster}
 * starts every node), read after a run: a stall in a run's tail that lines up with one of them is
 * the node's collector at work, e.g. a region's ZGC cycle set off as a flood began.
 */
final class NodeGcLog {
  /** One collection, by the time its summary line was logged (when it ended). */
  record Collection(Instant end, String summary) {}

  /**
   * {@code [2026-12-05T07:25:18.982+0000] GC(3) Minor Collection (Allocation Rate) 922M(90%)->140M(14%) 0.386s},
   * with or without more decorations (e.g. {@code [gc]}) after the time.
   */
  private static final Pattern SUMMARY =
      Pattern.compile("^\\[([^\\]]+)\\](?:\\[[^\\]]*\\])*\\s*GC\\(\\d+\\) (.*->.*)$");
  private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ");

  /** The heap left after a collection: {@code 922M(90%)->140M(14%)} (ZGC) or {@code 61M->22M(84M)} (G1) give 140M, 22M. */
  private static final Pattern HEAP_AFTER = Pattern.compile("->(\\d+[KMG])");

  private NodeGcLog() {}

  /** The heap left by the last collection logged so far (e.g. {@code 140M}); empty before the first or without the file. */
  static Optional<String> heapAfterLast(Path file) throws IOException {
    List<Collection> all = collections(file);
    for (Collection c : all.reversed()) {
      Matcher heap = HEAP_AFTER.matcher(c.summary());
      if (heap.find()) return Optional.of(heap.group(1));
    }
    return Optional.empty();
  }

  /** Collections that ended within [{@code from}, {@code to}]; none when the file is missing. */
  static List<Collection> endedBetween(Path file, Instant from, Instant to) throws IOException {
    return collections(file).stream().filter(c -> !c.end().isBefore(from) && !c.end().isAfter(to)).toList();
  }

  /** Every collection's summary line, in the file's order; none when the file is missing. */
  private static List<Collection> collections(Path file) throws IOException {
    if (!Files.isRegularFile(file)) return List.of();
    List<Collection> found = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      Matcher m = SUMMARY.matcher(line);
      if (m.matches()) found.add(new Collection(OffsetDateTime.parse(m.group(1), UTC_TIME).toInstant(), m.group(2).strip()));
    }
    return found;
  }
}
