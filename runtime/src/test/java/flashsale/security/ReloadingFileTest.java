package flashsale.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A credential file's content follows the file, checked once per period, and a bad change keeps the last good one. */
class ReloadingFileTest {
  private static final Duration PERIOD = Duration.ofSeconds(60);
  @TempDir Path dir;
  private long nowNanos = 1_000;
  private final AtomicInteger parses = new AtomicInteger();

  /** Content must start with "ok:". */
  private String parse(Path file, byte[] content) throws IOException {
    parses.incrementAndGet();
    String text = new String(content, java.nio.charset.StandardCharsets.UTF_8);
    if (!text.startsWith("ok:")) throw new IOException("not ok: " + text);
    return text;
  }

  private void write(Path file, String text, int second) throws IOException {
    Files.writeString(file, text);
    Files.setLastModifiedTime(file, FileTime.from(Instant.ofEpochSecond(1_800_000_000L + second)));
  }

  @Test
  void aChangedFileIsReadAgainOncePerPeriodAndABadChangeKeepsTheLastGoodContent() throws Exception {
    Path file = dir.resolve("tokens");
    write(file, "ok:first", 0);
    ReloadingFile<String> reloading = ReloadingFile.load(file, this::parse, PERIOD, () -> nowNanos);
    assertEquals("ok:first", reloading.get());

    write(file, "ok:second", 1);
    nowNanos += PERIOD.toNanos() - 1;
    assertEquals("ok:first", reloading.get(), "not looked at again within the period");
    nowNanos += 1;
    assertEquals("ok:second", reloading.get(), "read again once the period is over");

    nowNanos += PERIOD.toNanos();
    int before = parses.get();
    assertEquals("ok:second", reloading.get());
    assertEquals(before, parses.get(), "an unchanged file is not parsed again");

    assertEquals(false, reloading.stale());
    write(file, "garbage", 2);
    nowNanos += PERIOD.toNanos();
    assertEquals("ok:second", reloading.get(), "a change that does not parse keeps the last good content");
    assertEquals(true, reloading.stale(), "and says so");
    Files.delete(file);
    nowNanos += PERIOD.toNanos();
    assertEquals("ok:second", reloading.get(), "so does a deleted file");
    assertEquals(true, reloading.stale());

    Path renamed = dir.resolve("tokens.new");
    write(renamed, "ok:third", 2);
    Files.move(renamed, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE); // how a deployment swaps the file
    nowNanos += PERIOD.toNanos();
    assertEquals("ok:third", reloading.get());
    assertEquals(false, reloading.stale(), "a good file again");

    write(file, "ok:THIRD", 2); // a same-length edit within the same second (a rotated token's hash)
    nowNanos += PERIOD.toNanos();
    assertEquals("ok:THIRD", reloading.get(), "same size and modification time, other content");
  }

  @Test
  void aBadFileFailsTheStart() throws Exception {
    Path file = dir.resolve("tokens");
    write(file, "garbage", 0);
    assertThrows(IOException.class, () -> ReloadingFile.load(file, this::parse, PERIOD, () -> nowNanos));
  }
}
