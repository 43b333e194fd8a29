package flashsale.security;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a credential file (the bearer-token file, a JWK set) says, re-read after it changes, so
 * a revoked token or a rotated key takes effect without restarting the node, which for an arbiter
 * leader would mean a failover. There is no thread: a read looks at the file at most once per
 * {@code period} (on the call that finds the period over) and parses it again when its content's
 * SHA-256 changed; a hash rather than the modification time, because rotating a token rewrites a
 * line of the same length, possibly within the file system's timestamp granularity. A change that
 * does not parse, or a deleted file, keeps the last good content and logs one line per change: to
 * revoke, the file must end up valid.
 */
public final class ReloadingFile<T> implements Supplier<T> {
  private static final Logger log = LoggerFactory.getLogger(ReloadingFile.class);

  /**
   * Parses the file's {@code content} as one read found it (the same bytes its version is the hash
   * of: a second read could find a write half done); throws on content that is not valid.
   */
  @FunctionalInterface
  public interface Parser<T> {
    T parse(Path file, byte[] content) throws IOException;
  }

  private final Path file;
  private final Parser<T> parser;
  private final long periodNanos;
  private final LongSupplier nanoTime;
  private volatile T current;
  private volatile long checkedAtNanos;
  private volatile String version; // SHA-256 of the content last looked at (good or not), "missing" or "unreadable"
  private volatile String goodVersion; // SHA-256 of the content in use

  private ReloadingFile(Path file, Parser<T> parser, Duration period, LongSupplier nanoTime, T first, String version) {
    this.file = file;
    this.parser = parser;
    this.periodNanos = period.toNanos();
    this.nanoTime = nanoTime;
    this.current = first;
    this.version = version;
    this.goodVersion = version;
    this.checkedAtNanos = nanoTime.getAsLong();
  }

  /** Reads {@code file} now (a bad file fails the start), then again after it changes. */
  public static <T> ReloadingFile<T> load(Path file, Parser<T> parser, Duration period) throws IOException {
    return load(file, parser, period, System::nanoTime);
  }

  /** As {@link #load(Path, Parser, Duration)}, on the clock {@code nanoTime}. */
  public static <T> ReloadingFile<T> load(Path file, Parser<T> parser, Duration period, LongSupplier nanoTime)
      throws IOException {
    if (period.isNegative() || period.isZero()) throw new IllegalArgumentException("reload period must be positive: " + period);
    byte[] content = Files.readAllBytes(file);
    return new ReloadingFile<>(file, parser, period, nanoTime, Objects.requireNonNull(parser.parse(file, content)),
        versionOf(content));
  }

  /** The content of the file as last read successfully. */
  @Override
  public T get() {
    long now = nanoTime.getAsLong();
    if (now - checkedAtNanos >= periodNanos) reloadIfChanged(now);
    return current;
  }

  /**
   * True while the file holds a change that was not taken (it does not parse, is missing or cannot
   * be read), so the node still answers with the last good content: a revocation written there has
   * not taken effect. Looks at the file first if the period is over.
   */
  public boolean stale() {
    get();
    return !version.equals(goodVersion);
  }

  private synchronized void reloadIfChanged(long now) {
    if (now - checkedAtNanos < periodNanos) return; // another caller just did
    checkedAtNanos = now;
    String seen;
    byte[] content;
    try {
      content = Files.readAllBytes(file);
      seen = versionOf(content);
    } catch (NoSuchFileException e) {
      seen = "missing";
      if (!seen.equals(version)) log.warn("credential file missing file={} action=keep_last_content", file);
      version = seen;
      return;
    } catch (IOException e) {
      if (!"unreadable".equals(version)) {
        log.warn("credential file unreadable file={} error=\"{}\" action=keep_last_content", file, e.getMessage());
      }
      version = "unreadable";
      return;
    }
    if (seen.equals(version)) return;
    version = seen;
    try {
      current = Objects.requireNonNull(parser.parse(file, content));
      goodVersion = seen;
      log.info("credential file reloaded file={}", file);
    } catch (IOException | RuntimeException e) {
      log.warn("credential file not reloaded file={} error=\"{}\" action=keep_last_content", file, e.getMessage());
    }
  }

  private static String versionOf(byte[] content) {
    return flashsale.credentials.Sha256.hex(content);
  }
}
