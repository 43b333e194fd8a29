package flashsale.store.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.net.FreePorts;
import flashsale.sale.EventSpec;
import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.store.ArbiterStore;
import flashsale.store.ArbiterStores;
import flashsale.store.Sales;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The arbiter's store over TLS to a Redis that requires it ({@code tls-port} only, no plaintext
 * port) and an ACL user with a password ({@code default} off): {@code rediss://user:password@…}
 * with {@code --redis-ca}. Runs the {@code redis-server} binary (Debian's is built with TLS).
 */
class RedisOverTlsTest {
  @TempDir Path dir;
  private Process redis;
  private int port;

  @BeforeEach
  void startTlsRedis() throws Exception {
    DevCertificates ca = DevCertificates.create(dir, "flashsale");
    var cert = ca.issue(Role.ARBITER, "redis");
    port = FreePorts.pick();
    String binary = Optional.ofNullable(System.getenv("REDIS_SERVER")).orElse("redis-server");
    redis = new ProcessBuilder(List.of(binary, "--port", "0", "--tls-port", Integer.toString(port),
        "--tls-cert-file", cert.certificate().toString(), "--tls-key-file", cert.privateKey().toString(),
        "--tls-ca-cert-file", ca.caPath().toString(), "--tls-auth-clients", "no", "--save", "", "--appendonly", "no",
        "--dir", dir.toString(), "--user", "default", "off", "--user", "arbiter", "on", ">s3cret", "~fs:*", "&*", "+@all"))
        .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!listening()) {
      if (!redis.isAlive()) throw new IllegalStateException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
      if (System.nanoTime() > deadline) throw new IllegalStateException("redis-server did not listen on " + port);
      Thread.sleep(20);
    }
    RedisClients.trustCa(ca.caPath());
  }

  @AfterEach
  void stop() throws Exception {
    RedisClients.trustCa(null);
    redis.destroyForcibly().waitFor();
  }

  @Test
  void theStoreWorksOverTlsWithAnAclUserAndRefusesWithoutThem() {
    try (ArbiterStore store = ArbiterStores.open("rediss://arbiter:s3cret@127.0.0.1:" + port)) {
      EventSpec spec = Sales.event("tls-shoes", 5, 1);
      store.createEvent("create-tls-shoes", spec);
      assertEquals(Optional.of(spec), store.findEvent("tls-shoes"));
    }
    assertThrows(RuntimeException.class, () -> ArbiterStores.open("redis://arbiter:s3cret@127.0.0.1:" + port).close(),
        "plaintext to the TLS port");
    RuntimeException wrongPassword = assertThrows(RuntimeException.class,
        () -> ArbiterStores.open("rediss://arbiter:wrong@127.0.0.1:" + port).close());
    String told = wrongPassword + " " + wrongPassword.getCause();
    assertTrue(told.toUpperCase().contains("WRONGPASS"), told);
  }

  private boolean listening() {
    try (Socket ignored = new Socket("127.0.0.1", port)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
