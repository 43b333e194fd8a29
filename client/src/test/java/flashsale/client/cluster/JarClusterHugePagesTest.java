package flashsale.client.cluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Reading the kernel's transparent-huge-page settings as bin/lib/java.sh does. */
class JarClusterHugePagesTest {
  @Test
  void aSettingThatGrantsHugePagesOnRequestTurnsThemOn() {
    assertTrue(JarCluster.offersHugePages("always [madvise] never\n"));
    assertTrue(JarCluster.offersHugePages("[always] madvise never\n"));
    assertTrue(JarCluster.offersHugePages("always within_size [advise] never deny force\n"));
  }

  @Test
  void aSettingThatNeverGrantsThemLeavesThemOff() {
    assertFalse(JarCluster.offersHugePages("always within_size advise [never] deny force\n"));
    assertFalse(JarCluster.offersHugePages("always madvise [never]\n"));
    assertFalse(JarCluster.offersHugePages("always within_size advise never [deny] force\n"));
  }
}
