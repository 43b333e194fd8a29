package flashsale.security;

import flashsale.credentials.Role;
import flashsale.credentials.Principal;
import flashsale.credentials.BearerTokens;
import flashsale.credentials.StaticTokens;
import flashsale.credentials.TlsFiles;
import flashsale.credentials.DevCertificates;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.ListRegionsResponse;
import flashsale.v1.RegionStatus;
import flashsale.wire.Errors;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Netty server with mutual TLS and the {@link AuthInterceptor}: who gets in with which
 * certificate or token, and the exact refusal for everyone else.
 */
class AuthOverTlsTest {
  /** A short-lived certificate's life: a cold first handshake on a busy machine took over 2 s. */
  private static final Duration SHORT_LIFETIME = Duration.ofSeconds(6);

  @TempDir Path dir;
  private DevCertificates ca;
  private TlsFiles.Loaded serverTls;
  private Server server;
  private final List<ManagedChannel> channels = new java.util.ArrayList<>();
  private String adminToken;
  private ECKey jwtKey;

  /** Answers ListRegions with one region named after the caller, so a test sees who it was taken for. */
  private static final class WhoAmI extends EventAdminServiceGrpc.EventAdminServiceImplBase {
    @Override
    public void listRegions(ListRegionsRequest request, StreamObserver<ListRegionsResponse> out) {
      Principal p = AuthInterceptor.current();
      out.onNext(ListRegionsResponse.newBuilder()
          .addRegions(RegionStatus.newBuilder().setRegion(p.via() + ":" + p.name())).build());
      out.onCompleted();
    }
  }

  @BeforeEach
  void start() throws Exception {
    ca = DevCertificates.create(dir, "flashsale");
    adminToken = StaticTokens.newToken(new SecureRandom());
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "# test tokens\nadmin ops " + StaticTokens.sha256Hex(adminToken) + "\n"
        + "admin,region sneaky " + StaticTokens.sha256Hex("sneaky-token") + "\n");
    jwtKey = new ECKeyGenerator(Curve.P_256).keyID("k1").generate();
    JwtTokens jwts = new JwtTokens(new JWKSet(jwtKey.toPublicJWK()), "https://idp.example", "flashsale");
    AccessPolicy policy = AccessPolicy.builder()
        .openService("grpc.health.v1.Health")
        .method(EventAdminServiceGrpc.getListRegionsMethod().getFullMethodName(), Role.ADMIN, Role.REGION)
        .build();
    serverTls = ca.issue(Role.ARBITER, "a1").files().load();
    server = Grpc.newServerBuilderForPort(0, serverTls.server(false))
        .addService(ServerInterceptors.intercept(new WhoAmI(),
            AuthInterceptor.enforcing(policy, new Authenticator("flashsale", StaticTokens.load(tokens), jwts))))
        .build()
        .start();
  }

  @AfterEach
  void stop() throws Exception {
    channels.forEach(ManagedChannel::shutdownNow);
    server.shutdownNow().awaitTermination();
    serverTls.close();
  }

  @Test
  void aRegionCertificateNamesTheCaller() throws Exception {
    assertEquals("certificate:near", whoAmI(clientCredentials(ca.issue(Role.REGION, "near")), null));
  }

  @Test
  void noCredentialsIsUnauthenticatedWithAReason() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> whoAmI(trustOnly(), null));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals("CREDENTIALS_MISSING", Errors.reasonOf(e).orElseThrow());
  }

  @Test
  void aBearerTokenIsNeverSentOverPlaintext() throws Exception {
    java.util.concurrent.atomic.AtomicReference<String> seen = new java.util.concurrent.atomic.AtomicReference<>("no call");
    Server plaintext = Grpc.newServerBuilderForPort(0, io.grpc.InsecureServerCredentials.create())
        .addService(ServerInterceptors.intercept(new WhoAmI(), new io.grpc.ServerInterceptor() {
          @Override
          public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers,
              io.grpc.ServerCallHandler<Q, R> next) {
            seen.set(String.valueOf(headers.get(BearerTokens.AUTHORIZATION)));
            return next.startCall(call, headers);
          }
        })).build().start();
    try {
      StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
          () -> whoAmI(plaintext.getPort(), io.grpc.InsecureChannelCredentials.create(), adminToken));
      assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused.toString());
      assertEquals("no call", seen.get(), "the call, and its token, never left the client");
    } finally {
      plaintext.shutdownNow();
    }
  }

  @Test
  void aCertificateOfAnotherRoleIsDenied() throws Exception {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> whoAmI(clientCredentials(ca.issue(Role.AUDITOR, "eve")), null));
    assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode());
    assertEquals("ROLE_REQUIRED", Errors.reasonOf(e).orElseThrow());
  }

  @Test
  void aCertificateFromAnotherCaIsRefusedByTls() throws Exception {
    DevCertificates other = DevCertificates.create(dir.resolve("other"), "flashsale");
    DevCertificates.Issued forged = other.issue(Role.REGION, "near");
    ChannelCredentials credentials = TlsChannelCredentials.newBuilder()
        .keyManager(forged.certificate().toFile(), forged.privateKey().toFile())
        .trustManager(ca.caPath().toFile())
        .build();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> whoAmI(credentials, null));
    assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.getStatus().toString());
  }

  @Test
  void aStaticTokenAuthenticatesButNeverGrantsTheRegionRole() throws Exception {
    assertEquals("token:ops", whoAmI(trustOnly(), adminToken));
    // "sneaky" is listed with admin,region: it may act as an admin, never as a region.
    assertEquals("token:sneaky", whoAmI(trustOnly(), "sneaky-token"));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> whoAmI(trustOnly(), "wrong-token"));
    assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
    assertEquals("CREDENTIALS_INVALID", Errors.reasonOf(e).orElseThrow());
  }

  @Test
  void aSignedJwtWithTheRoleIsAcceptedAndAnExpiredOneIsNot() throws Exception {
    assertEquals("jwt:alice", whoAmI(trustOnly(), jwt("alice", Instant.now().plusSeconds(60), "flashsale")));
    StatusRuntimeException expired = assertThrows(StatusRuntimeException.class,
        () -> whoAmI(trustOnly(), jwt("alice", Instant.now().minusSeconds(120), "flashsale")));
    assertEquals(Status.Code.UNAUTHENTICATED, expired.getStatus().getCode());
    StatusRuntimeException wrongAudience = assertThrows(StatusRuntimeException.class,
        () -> whoAmI(trustOnly(), jwt("alice", Instant.now().plusSeconds(60), "someone-else")));
    assertEquals(Status.Code.UNAUTHENTICATED, wrongAudience.getStatus().getCode());
  }

  @Test
  void aTokenRevokedOrAddedInTheFileTakesEffectWithoutARestart() throws Exception {
    Path tokens = dir.resolve("reloaded-tokens");
    Files.writeString(tokens, "admin ops " + StaticTokens.sha256Hex(adminToken) + "\n");
    AccessPolicy policy = AccessPolicy.builder()
        .method(EventAdminServiceGrpc.getListRegionsMethod().getFullMethodName(), Role.ADMIN).build();
    Authenticator following = new Authenticator("flashsale",
        ReloadingFile.load(tokens, StaticTokens::parse, Duration.ofMillis(100)), null);
    Server reloading = Grpc.newServerBuilderForPort(0, serverTls.server(false))
        .addService(ServerInterceptors.intercept(new WhoAmI(), AuthInterceptor.enforcing(policy, following)))
        .build().start();
    try {
      int port = reloading.getPort();
      assertEquals("token:ops", whoAmI(port, trustOnly(), adminToken));
      String rotated = StaticTokens.newToken(new SecureRandom());
      Path next = dir.resolve("reloaded-tokens.next");
      Files.writeString(next, "admin ops2 " + StaticTokens.sha256Hex(rotated) + "\n");
      Files.move(next, tokens, java.nio.file.StandardCopyOption.ATOMIC_MOVE); // how a deployment swaps the file
      Thread.sleep(150);
      StatusRuntimeException revoked = assertThrows(StatusRuntimeException.class, () -> whoAmI(port, trustOnly(), adminToken));
      assertEquals("CREDENTIALS_INVALID", Errors.reasonOf(revoked).orElseThrow(), "the revoked token is refused");
      assertEquals("token:ops2", whoAmI(port, trustOnly(), rotated), "the new token is taken");
      assertEquals(0, following.staleCredentialFiles());
      Files.writeString(tokens, "admin ops3 not-a-hash\n"); // a broken edit: the last good tokens stay
      Thread.sleep(150);
      assertEquals("token:ops2", whoAmI(port, trustOnly(), rotated));
      assertEquals(1, following.staleCredentialFiles(), "what flashsale_credential_files_stale shows");
    } finally {
      reloading.shutdownNow().awaitTermination();
    }
  }

  /**
   * The CA signs regions' certificates too, for the same hosts: a region's link checks that the
   * server proves it is an arbiter, so another region (a stolen key and a network position) cannot
   * pose as the arbiter to take its tickets or send it made-up wins.
   */
  @Test
  void aRegionsLinkTalksOnlyToAServerWithAnArbitersCertificate() throws Exception {
    try (TlsFiles.Loaded link = ca.issue(Role.REGION, "far").files().load();
        TlsFiles.Loaded posing = ca.issue(Role.REGION, "near").files().load()) {
      assertEquals("certificate:far", whoAmI(link.channelTo(Role.ARBITER), null), "the real arbiter is trusted");
      Server impostor = Grpc.newServerBuilderForPort(0, posing.server(false)).addService(new WhoAmI()).build().start();
      try {
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
            () -> whoAmI(impostor.getPort(), link.channelTo(Role.ARBITER), null));
        assertEquals(Status.Code.UNAVAILABLE, refused.getStatus().getCode(), refused.toString());
        assertEquals("none:nobody", whoAmI(impostor.getPort(), link.channel(), null),
            "checked by host and chain only, the impostor passes: the role check is what refuses it");
      } finally {
        impostor.shutdownNow();
      }
    }
  }

  @Test
  void aRenewedServerCertificateIsServedWithoutARestart() throws Exception {
    DevCertificates.Issued first = ca.issue(Role.ARBITER, "reloaded");
    try (TlsFiles.Loaded tls = new TlsFiles(first.certificate(), first.privateKey(), first.trustedCa(),
        Duration.ofMillis(200)).load()) {
      Server reloading = Grpc.newServerBuilderForPort(0, tls.server(false)).addService(new WhoAmI()).build().start();
      try {
        String before = servedSerial(reloading.getPort());
        var certificateTime = java.nio.file.Files.getLastModifiedTime(first.certificate());
        var keyTime = java.nio.file.Files.getLastModifiedTime(first.privateKey());
        ca.issue(Role.ARBITER, "reloaded"); // overwrites the same two files
        // ... with their old times, as a renewal copied with `cp -p` or `rsync -t` may: still taken.
        java.nio.file.Files.setLastModifiedTime(first.certificate(), certificateTime);
        java.nio.file.Files.setLastModifiedTime(first.privateKey(), keyTime);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        String after = before;
        while (after.equals(before) && System.nanoTime() < deadline) {
          Thread.sleep(100);
          after = servedSerial(reloading.getPort());
        }
        org.junit.jupiter.api.Assertions.assertNotEquals(before, after, "the renewed certificate was never served");
      } finally {
        reloading.shutdownNow();
      }
    }
  }

  @Test
  void aConnectionMadeUnderACaRotatedOutGetsNoMoreCalls() throws Exception {
    Path caFile = dir.resolve("rotating-ca.pem");
    Files.copy(ca.caPath(), caFile);
    DevCertificates.Issued serverIdentity = ca.issue(Role.ARBITER, "rotating");
    try (TlsFiles.Loaded tls = new TlsFiles(serverIdentity.certificate(), serverIdentity.privateKey(), caFile,
        Duration.ofMillis(200)).load()) {
      AccessPolicy policy = AccessPolicy.builder()
          .method(EventAdminServiceGrpc.getListRegionsMethod().getFullMethodName(), Role.ADMIN).build();
      Server rotating = Grpc.newServerBuilderForPort(0, tls.server(false))
          .addService(ServerInterceptors.intercept(new WhoAmI(),
              AuthInterceptor.enforcing(policy, Authenticator.certificatesOnly("flashsale").checkingChainsWith(tls))))
          .build().start();
      try {
        ManagedChannel old = Grpc.newChannelBuilder("localhost:" + rotating.getPort(),
            clientCredentials(ca.issue(Role.ADMIN, "ops"))).build();
        channels.add(old);
        var oldStub = EventAdminServiceGrpc.newBlockingStub(old);
        assertEquals("certificate:ops", whoAmI(oldStub));

        // The CA is rotated: its file now holds another CA only.
        DevCertificates next = DevCertificates.create(dir.resolve("next"), "flashsale");
        next.replaceCaFile(caFile);

        // The old connection stays open (a new one would fail its handshake, UNAVAILABLE), but its calls are refused.
        StatusRuntimeException refused = firstRefusal(oldStub, Duration.ofSeconds(10));
        assertNotNull(refused, "calls on the connection made under the old CA were still taken 10 s after the rotation");
        assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused.toString());
        assertEquals("CREDENTIALS_INVALID", Errors.reasonOf(refused).orElseThrow());
        assertTrue(refused.getStatus().getDescription().contains("no longer chains"), refused.toString());

        DevCertificates.Issued renewed = next.issue(Role.ADMIN, "ops");
        ChannelCredentials underNewCa = TlsChannelCredentials.newBuilder()
            .keyManager(renewed.certificate().toFile(), renewed.privateKey().toFile())
            .trustManager(ca.caPath().toFile()) // the server's own certificate is still the old CA's
            .build();
        assertEquals("certificate:ops", whoAmI(rotating.getPort(), underNewCa, null), "a certificate of the new CA gets in");
      } finally {
        rotating.shutdownNow();
      }
    }
  }

  @Test
  void aConnectionWhoseCertificateExpiresGetsNoMoreCalls() throws Exception {
    // Long enough for a cold first handshake on a busy machine: set-up must not outlive it.
    DevCertificates.Issued shortLived = ca.issueValidFor(SHORT_LIFETIME, Role.ADMIN, "ops");
    ManagedChannel channel = Grpc.newChannelBuilder("localhost:" + server.getPort(), clientCredentials(shortLived)).build();
    channels.add(channel);
    var stub = EventAdminServiceGrpc.newBlockingStub(channel);
    assertEquals("certificate:ops", whoAmI(stub), "taken while the certificate is valid");
    assertStillValid(shortLived);

    // The connection stays open past the certificate's expiry (TLS checked it at the handshake only).
    StatusRuntimeException refused = firstRefusal(stub, untilSevenSecondsPast(shortLived));
    assertNotNull(refused, "calls on the connection were still taken 7 s after its certificate expired");
    assertEquals(Status.Code.UNAUTHENTICATED, refused.getStatus().getCode(), refused.toString());
    assertEquals("CREDENTIALS_INVALID", Errors.reasonOf(refused).orElseThrow());
    assertTrue(refused.getStatus().getDescription().contains("expired at"), refused.toString());
  }

  /**
   * The arbiter judges expiry by the path that makes a chain trusted, not by every certificate the
   * client sent: an old cross-signature of the CA left in the client's bundle (no path needs it:
   * the CA itself is trusted) expiring does not cut the connection; the leaf expiring does.
   */
  @Test
  void onlyTheCertificatesOfTheTrustedPathCountForExpiry() throws Exception {
    DevCertificates.Issued leaf = ca.issue(Role.ADMIN, "ops");
    Path crossSigned = ca.crossSignedByAnOlderCa(SHORT_LIFETIME);
    Path bundle = dir.resolve("bundle.pem");
    Files.writeString(bundle, Files.readString(leaf.certificate()) + Files.readString(crossSigned));
    DevCertificates.Issued shortLeaf = ca.issueValidFor(SHORT_LIFETIME, Role.ADMIN, "brief");
    DevCertificates.Issued serverIdentity = ca.issue(Role.ARBITER, "path");
    try (TlsFiles.Loaded tls = serverIdentity.files().load()) {
      AccessPolicy policy = AccessPolicy.builder()
          .method(EventAdminServiceGrpc.getListRegionsMethod().getFullMethodName(), Role.ADMIN).build();
      Server checking = Grpc.newServerBuilderForPort(0, tls.server(false))
          .addService(ServerInterceptors.intercept(new WhoAmI(),
              AuthInterceptor.enforcing(policy, Authenticator.certificatesOnly("flashsale").checkingChainsWith(tls))))
          .build().start();
      try {
        ManagedChannel withBundle = Grpc.newChannelBuilder("localhost:" + checking.getPort(),
            TlsChannelCredentials.newBuilder().keyManager(bundle.toFile(), leaf.privateKey().toFile())
                .trustManager(ca.caPath().toFile()).build()).build();
        ManagedChannel brief = Grpc.newChannelBuilder("localhost:" + checking.getPort(), clientCredentials(shortLeaf)).build();
        channels.add(withBundle);
        channels.add(brief);
        var bundleStub = EventAdminServiceGrpc.newBlockingStub(withBundle);
        var briefStub = EventAdminServiceGrpc.newBlockingStub(brief);
        assertEquals("certificate:ops", whoAmI(bundleStub));
        assertEquals("certificate:brief", whoAmI(briefStub));
        assertStillValid(shortLeaf);

        StatusRuntimeException refused = firstRefusal(briefStub, untilSevenSecondsPast(shortLeaf));
        assertNotNull(refused, "a leaf past its expiry was still taken");
        assertTrue(refused.getStatus().getDescription().contains("expired at"), refused.toString());
        // The cross-signature expired at about the same moment: the bundle's connection is still taken.
        assertNull(firstRefusal(bundleStub, Duration.ofSeconds(1)), "a certificate no path needs cut the connection");
      } finally {
        checking.shutdownNow();
      }
    }
  }

  private static void assertStillValid(DevCertificates.Issued certificate) {
    assertTrue(Instant.now().isBefore(certificate.expiresAt()), "set-up outlived the certificate: nothing to test");
  }

  /** From now until 7 s after {@code certificate} expires. */
  private static Duration untilSevenSecondsPast(DevCertificates.Issued certificate) {
    return Duration.between(Instant.now(), certificate.expiresAt().plusSeconds(7));
  }

  /** Calls every 50 ms until a call is refused; null if none was within {@code limit}. */
  private static StatusRuntimeException firstRefusal(EventAdminServiceGrpc.EventAdminServiceBlockingStub stub,
      Duration limit) throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        whoAmI(stub);
        Thread.sleep(50);
      } catch (StatusRuntimeException e) {
        return e;
      }
    }
    return null;
  }

  private static String whoAmI(EventAdminServiceGrpc.EventAdminServiceBlockingStub stub) {
    return stub.withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS)
        .listRegions(ListRegionsRequest.getDefaultInstance()).getRegions(0).getRegion();
  }

  private String servedSerial(int port) throws Exception {
    var context = javax.net.ssl.SSLContext.getInstance("TLS");
    context.init(null, io.grpc.netty.shaded.io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE.getTrustManagers(),
        null);
    try (var socket = (javax.net.ssl.SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(5_000);
      socket.startHandshake();
      return ((java.security.cert.X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber().toString();
    }
  }

  private String jwt(String subject, Instant expiry, String audience) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("k1").build(),
        new JWTClaimsSet.Builder().subject(subject).issuer("https://idp.example").audience(audience)
            .expirationTime(Date.from(expiry)).claim("roles", List.of("admin")).build());
    jwt.sign(new ECDSASigner(jwtKey));
    return jwt.serialize();
  }

  private ChannelCredentials clientCredentials(DevCertificates.Issued issued) throws Exception {
    return TlsChannelCredentials.newBuilder()
        .keyManager(issued.certificate().toFile(), issued.privateKey().toFile())
        .trustManager(issued.trustedCa().toFile())
        .build();
  }

  private ChannelCredentials trustOnly() throws Exception {
    return TlsChannelCredentials.newBuilder().trustManager(ca.caPath().toFile()).build();
  }

  private String whoAmI(ChannelCredentials credentials, String bearer) {
    return whoAmI(server.getPort(), credentials, bearer);
  }

  private String whoAmI(int port, ChannelCredentials credentials, String bearer) {
    ManagedChannel channel = Grpc.newChannelBuilder("localhost:" + port, credentials).build();
    channels.add(channel);
    var stub = EventAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, java.util.concurrent.TimeUnit.SECONDS);
    if (bearer != null) stub = stub.withCallCredentials(BearerTokens.credentials(bearer));
    return stub.listRegions(ListRegionsRequest.getDefaultInstance()).getRegions(0).getRegion();
  }

}
