package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.fakes.FakeAdmin;
import flashsale.client.fakes.FakeLedger;
import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import io.grpc.Grpc;
import io.grpc.Server;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An operator's admin call goes to the arbiter only: a server whose certificate the same CA
 * signed for the same host, but which names a region, gets neither the call nor its token.
 */
class CliServerIdentityTest {
  @TempDir Path dir;

  @Test
  void anAdminCallRefusesAServerThatProvesItIsARegion() throws Exception {
    DevCertificates ca = DevCertificates.create(dir, "flashsale");
    for (Role serverRole : new Role[] {Role.REGION, Role.ARBITER}) {
      try (var tls = ca.issue(serverRole, "srv-" + serverRole.label()).files().load()) {
        Server server = Grpc.newServerBuilderForPort(0, tls.server(false)).addService(new FakeAdmin(new FakeLedger()))
            .build().start();
        try {
          CliRun run = CliRun.run("regions", "--target", "localhost:" + server.getPort(), "--tls-ca", ca.caPath().toString());
          if (serverRole == Role.ARBITER) {
            assertEquals(0, run.exitCode(), run.err());
          } else {
            // Retrying cannot help: not the "retry" code.
            assertEquals(ExitCodes.USAGE, run.exitCode(), run.out() + run.err());
            assertTrue(run.errorLine().contains("the TLS handshake failed"), run.errorLine());
            assertTrue(run.errorLine().contains("not an arbiter") || run.errorLine().contains("names spiffe://flashsale/region/"),
                run.errorLine());
          }
        } finally {
          server.shutdownNow();
        }
      }
    }
  }
}
