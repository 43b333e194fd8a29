package flashsale.client.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The node JVMs' options by role, and the arbiter's huge-page heap decided from the kernel's setting as bin/lib/java.sh does. */
class JarClusterHugePagesTest {
  @Test
  void aSettingThatGrantsHugePagesOnRequestTurnsThemOn() {
    assertTrue(JarCluster.offersHugePages("always [madvise] never\n"));
    assertTrue(JarCluster.offersHugePages("[always] madvise never\n"));
  }

  @Test
  void aSettingThatNeverGrantsThemLeavesThemOff() {
    assertFalse(JarCluster.offersHugePages("always madvise [never]\n"));
    assertFalse(JarCluster.offersHugePages(""));
  }

  @Test
  void theArbiterAsksForHugePagesWhereThisKernelOffersThem() throws IOException {
    String override = System.getProperty("flashsale.node.jvm.options", System.getenv("FLASHSALE_NODE_JVM_OPTS"));
    boolean expected;
    if (override != null) {
      expected = override.contains("-XX:+UseTransparentHugePages");
    } else {
      Path setting = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
      expected = Files.isReadable(setting) && JarCluster.offersHugePages(Files.readString(setting));
    }
    assertEquals(expected, JarCluster.ARBITER_JVM_OPTIONS.contains("-XX:+UseTransparentHugePages"),
        "arbiter JVM options " + JarCluster.ARBITER_JVM_OPTIONS);
    if (override == null) {
      // ZGC's heap is shared memory: the anonymous-memory setting does not apply to it.
      assertEquals(List.of("-XX:+UseZGC", "-Xms512m", "-Xmx1g", "-XX:MetaspaceSize=128m", "-XX:TieredStopAtLevel=1",
          "-XX:+ExitOnOutOfMemoryError"),
          JarCluster.REGION_JVM_OPTIONS);
    }
  }
}
