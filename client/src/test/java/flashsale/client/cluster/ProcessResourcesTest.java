package flashsale.client.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProcessResourcesTest {
  @Test
  void readsMemoryThreadsAndOpenFilesFromProc() throws Exception {
    var proc = Files.createTempDirectory("proc-");
    Files.writeString(proc.resolve("status"), String.join("\n", "Name:\tjava", "VmPeak:\t 5000000 kB",
        "VmRSS:\t  412345 kB", "Threads:\t45", ""));
    Files.createDirectory(proc.resolve("fd"));
    for (int fd = 0; fd < 7; fd++) Files.createFile(proc.resolve("fd").resolve(Integer.toString(fd)));
    assertEquals(Optional.of(new ProcessResources(412345L * 1024, 45, 7)), ProcessResources.of(proc));
    assertEquals("rss 402 MB, 45 threads, 7 open files", ProcessResources.of(proc).orElseThrow().describe());
  }

  @Test
  void aProcessThatIsGoneHasNone() throws Exception {
    assertEquals(Optional.empty(), ProcessResources.of(Files.createTempDirectory("proc-").resolve("gone")));
  }

  @Test
  void thisProcessOnLinux() {
    var self = ProcessResources.of(ProcessHandle.current().pid());
    if (!Files.isDirectory(java.nio.file.Path.of("/proc/self"))) return; // the figures are Linux's
    var r = self.orElseThrow();
    assertTrue(r.residentBytes() > 1 << 20 && r.threads() > 1 && r.openFiles() > 2, r.toString());
  }
}
