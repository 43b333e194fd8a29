package flashsale.credentials;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A CA kept in a directory across runs never signs a certificate that outlives it, and is not kept once it expires. */
class DevCertificatesTest {
  @Test
  void certificatesIssuedFromAKeptCaNeverOutliveIt(@TempDir Path dir) throws IOException {
    DevCertificates.openOrCreate(dir, "flashsale", Duration.ofDays(2));
    DevCertificates kept = DevCertificates.openOrCreate(dir, "flashsale");
    Instant expires = kept.issue(Role.REGION, "near").expiresAt();
    assertFalse(expires.isAfter(Instant.now().plus(Duration.ofDays(2))), "a 30-day certificate from a 2-day CA: " + expires);
    assertTrue(expires.isAfter(Instant.now().plus(Duration.ofDays(1))), expires.toString());
  }

  @Test
  void privateKeysAreReadableByTheirOwnerOnly(@TempDir Path dir) throws IOException {
    DevCertificates.Issued admin = DevCertificates.openOrCreate(dir, "flashsale").issue(Role.ADMIN, "ops");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(admin.privateKey())));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key"))));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(admin.certificate())));
    try (var left = Files.list(dir)) {
      assertEquals(java.util.List.of(), left.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList());
    }
  }

  @Test
  void aCaExpiringWithinTheHourIsNotKept(@TempDir Path dir) throws IOException {
    DevCertificates.openOrCreate(dir, "flashsale", Duration.ofMinutes(30));
    IOException expired = assertThrows(IOException.class, () -> DevCertificates.openOrCreate(dir, "flashsale"));
    assertTrue(expired.getMessage().contains("move ca.pem and ca.key aside for a new CA"), expired.getMessage());
  }
}
