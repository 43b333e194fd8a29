package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.fakes.FakeCluster;
import flashsale.v1.Event;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The CLI at the edges: a bare port as --target, a standby arbiter that names the leader. */
class CliEdgeTest {
  private final FakeCluster cluster = new FakeCluster();

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  @Test
  void aBarePortIsThisMachine() {
    assertEquals("127.0.0.1:9092", ConnectionOptions.normalize("9092"));
    assertEquals("127.0.0.1:9092", ConnectionOptions.normalize(":9092"));
    assertEquals("db.example:9092", ConnectionOptions.normalize("db.example:9092"));
    assertThrows(IllegalArgumentException.class, () -> ConnectionOptions.normalize("70000"));
  }

  /** Connection options given wrong are usage errors in one plain line (exit 2), never "a bug". */
  @Test
  void badConnectionOptionsAreUsageErrorsSaidPlainly(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    CliRun badPort = CliRun.run("purchase", "--target", "70000", "--event", "shoes", "--user", "alice");
    assertEquals(ExitCodes.USAGE, badPort.exitCode(), badPort.err());
    assertTrue(badPort.err().contains("--target port must be 1 to 65535, got 70000")
        && !badPort.err().contains("Could not invoke"), badPort.err());

    java.nio.file.Path key = dir.resolve("key.pem");
    java.nio.file.Files.writeString(key, "not used");
    CliRun keyAlone = CliRun.run("purchase", "--target", "127.0.0.1:1", "--tls-key", key.toString(), "--event", "shoes",
        "--user", "alice");
    assertEquals(ExitCodes.USAGE, keyAlone.exitCode(), keyAlone.err());
    assertTrue(keyAlone.errorLine().contains("--tls-cert and --tls-key need --tls-ca"), keyAlone.err());

    java.nio.file.Path notACa = dir.resolve("not-a-ca.pem");
    java.nio.file.Files.writeString(notACa, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    CliRun badCa = CliRun.run("purchase", "--target", "127.0.0.1:1", "--tls-ca", notACa.toString(), "--event", "shoes",
        "--user", "alice");
    assertEquals(ExitCodes.USAGE, badCa.exitCode(), badCa.err());
    assertTrue(badCa.errorLine().startsWith("error: cannot use the TLS files (--tls-ca " + notACa)
        && !badCa.err().contains("a bug in flashsale"), badCa.err());

    CliRun certs = CliRun.run("dev-certs", "--dir", dir.resolve("certs").toString(), "--region", "near");
    assertEquals(0, certs.exitCode(), certs.err());
    java.nio.file.Path emptyToken = dir.resolve("token");
    java.nio.file.Files.writeString(emptyToken, "\nsecond line\n");
    CliRun noToken = CliRun.run("event", "get", "--target", "127.0.0.1:1", "--tls-ca",
        dir.resolve("certs/ca.pem").toString(), "--token-file", emptyToken.toString(), "--event", "shoes");
    assertEquals(ExitCodes.USAGE, noToken.exitCode(), noToken.err());
    assertTrue(noToken.errorLine().contains("its first line is empty"), noToken.err());
  }

  @Test
  void aRedisThatIsNotThereIsSaidPlainlyNotCalledABug() throws Exception {
    int closedPort;
    try (var socket = new java.net.ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    CliRun run = CliRun.run("bench", "--redis", "redis://127.0.0.1:" + closedPort);
    assertEquals(ExitCodes.FAILURE, run.exitCode(), run.err());
    String line = run.errorLine();
    assertTrue(line.startsWith("error: cannot connect: ") && line.contains("127.0.0.1") && line.contains(":" + closedPort)
        && line.contains("is the server running there?"), line);
    assertTrue(!line.contains("a bug in flashsale"), line);
  }

  @Test
  void devCertsIssuesOrderServiceIdentities(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    CliRun run = CliRun.run("dev-certs", "--dir", dir.toString(), "--region", "near", "--order", "svc");
    assertEquals(0, run.exitCode(), run.err());
    assertTrue(run.out().contains("order   svc"), run.out());
    java.security.cert.X509Certificate certificate;
    try (var in = java.nio.file.Files.newInputStream(dir.resolve("order-svc.pem"))) {
      certificate = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(in);
    }
    assertEquals(java.util.Optional.of(new flashsale.credentials.WorkloadId("flashsale", flashsale.credentials.Role.ORDER, "svc")),
        flashsale.credentials.WorkloadId.in(certificate));
  }

  /**
   * The README's second run (an order-service certificate after the nodes' own) keeps the CA the
   * running nodes trust: ca.pem unchanged, the new certificate signed by it. A CA without its key
   * (an older run's) is refused, not replaced.
   */
  @Test
  void devCertsRunAgainKeepsTheCaTheNodesTrust(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    CliRun first = CliRun.run("dev-certs", "--dir", dir.toString(), "--region", "near,far");
    assertEquals(0, first.exitCode(), first.err());
    byte[] caBefore = java.nio.file.Files.readAllBytes(dir.resolve("ca.pem"));
    CliRun second = CliRun.run("dev-certs", "--dir", dir.toString(), "--region", "near,far", "--order", "svc");
    assertEquals(0, second.exitCode(), second.err());
    assertTrue(second.out().startsWith("kept the CA in "), second.out());
    assertTrue(java.util.Arrays.equals(caBefore, java.nio.file.Files.readAllBytes(dir.resolve("ca.pem"))), "ca.pem unchanged");
    var certificates = java.security.cert.CertificateFactory.getInstance("X.509");
    java.security.cert.X509Certificate ca;
    java.security.cert.X509Certificate order;
    try (var caIn = java.nio.file.Files.newInputStream(dir.resolve("ca.pem"));
        var orderIn = java.nio.file.Files.newInputStream(dir.resolve("order-svc.pem"))) {
      ca = (java.security.cert.X509Certificate) certificates.generateCertificate(caIn);
      order = (java.security.cert.X509Certificate) certificates.generateCertificate(orderIn);
    }
    order.verify(ca.getPublicKey()); // throws when another CA signed it
    if (java.nio.file.FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
      assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
          java.nio.file.Files.getPosixFilePermissions(dir.resolve("ca.key"))));
    }

    java.nio.file.Files.delete(dir.resolve("ca.key"));
    CliRun withoutKey = CliRun.run("dev-certs", "--dir", dir.toString(), "--region", "near");
    assertEquals(ExitCodes.USAGE, withoutKey.exitCode());
    assertTrue(withoutKey.err().startsWith("error: " + dir.resolve("ca.pem") + " exists without its key"), withoutKey.err());
    assertTrue(java.util.Arrays.equals(caBefore, java.nio.file.Files.readAllBytes(dir.resolve("ca.pem"))), "not replaced");
  }

  @Test
  void aBarePortTargetReachesTheNodeOnThisMachine() throws Exception {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("shoes").setStock(3).build());
    io.grpc.Server server = io.grpc.Grpc.newServerBuilderForPort(0, io.grpc.InsecureServerCredentials.create())
        .addService(cluster.admin).build().start();
    try {
      CliRun run = CliRun.run("event", "get", "--target", String.valueOf(server.getPort()), "--event", "shoes", "--json");
      assertEquals(ExitCodes.OK, run.exitCode(), run.err());
      assertTrue(run.out().contains("\"shoes\""), run.out());
    } finally {
      server.shutdownNow().awaitTermination();
    }
  }

  @Test
  void aStandbyIsFollowedToTheLeader() throws Exception {
    String leader = cluster.startArbiter();
    cluster.ledger.addEvent(Event.newBuilder().setEventId("shoes").setStock(3).build());
    String standby = cluster.startStandby(leader);

    CliRun run = CliRun.run("event", "get", "--target", standby, "--event", "shoes", "--json");

    assertEquals(ExitCodes.OK, run.exitCode(), run.err());
    assertTrue(run.out().contains("\"shoes\""), run.out());
    // Asked once: the standby's answer tells the channel's retry policy not to try it again.
    assertEquals(1, cluster.refusedAsNotLeader());
  }

  @Test
  void aStandbyThatKnowsNoLeaderSaysSo() throws Exception {
    String standby = cluster.startStandby(null);

    CliRun run = CliRun.run("event", "get", "--target", standby, "--event", "shoes");

    assertTrue(run.errorLine().startsWith("error: UNAVAILABLE NOT_LEADER: this arbiter is a standby"), run.errorLine());
    // No leader named: an election, or a leader still recording what was asked, both over in a moment.
    assertTrue(run.errorLine().endsWith("(retry in a moment)"), run.errorLine());
    assertEquals(ExitCodes.UNAVAILABLE, run.exitCode());
    assertEquals(5, cluster.refusedAsNotLeader(), "retried by the channel: the election may end meanwhile");
  }
}
