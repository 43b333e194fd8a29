package flashsale.credentials;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsFilesTest {
  @Test
  void aReloadPeriodThatIsNotPositiveIsRefusedNotQuietlyReplaced(@TempDir Path dir) throws Exception {
    DevCertificates.Issued node = DevCertificates.create(dir, "test.flashsale").issue(Role.ARBITER, "a1");
    for (Duration wrong : new Duration[] {Duration.ZERO, Duration.ofSeconds(-5)}) {
      var e = assertThrows(IllegalArgumentException.class,
          () -> new TlsFiles(node.certificate(), node.privateKey(), node.trustedCa(), wrong));
      assertTrue(e.getMessage().contains("reload period must be positive"), e.getMessage());
    }
    assertEquals(TlsFiles.DEFAULT_RELOAD,
        new TlsFiles(node.certificate(), node.privateKey(), node.trustedCa(), null).reloadPeriod(), "null: the default");
  }
}
