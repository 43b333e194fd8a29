package flashsale.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.credentials.TlsFiles;
import flashsale.security.AccessPolicy;
import flashsale.security.AuthInterceptor;
import flashsale.security.Authenticator;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A long-lived SDK client (an admin tool, an order service) whose short-lived client certificate
 * is renewed in place keeps working past the first certificate's expiry, as the region's own link
 * does: real TLS both ways, the arbiter's interceptor (which ends a connection's calls once the
 * certificate of its handshake expires), a short-lived admin certificate, files re-read every 200 ms.
 */
class RenewingChannelTest {
  /** Long enough for a cold JVM's first handshake on a busy machine: set-up must not outlive it. */
  private static final Duration FIRST_CERTIFICATE_LIFETIME = Duration.ofSeconds(6);
  @TempDir Path dir;
  private DevCertificates ca;
  private Server arbiter;
  /** The short-lived certificate a test starts with. */
  private DevCertificates.Issued firstAdmin;
  private TlsFiles.Loaded arbiterTls;

  @BeforeEach
  void startArbiterLikeServer() throws Exception {
    ca = DevCertificates.create(dir.resolve("ca"), "flashsale");
    arbiterTls = ca.issue(Role.ARBITER, "a1").files().load();
    AccessPolicy adminsOnly = AccessPolicy.builder()
        .method(HealthGrpc.getCheckMethod().getFullMethodName(), Role.ADMIN)
        .method(HealthGrpc.getWatchMethod().getFullMethodName(), Role.ADMIN).build();
    arbiter = Grpc.newServerBuilderForPort(0, arbiterTls.server(true))
        .addService(ServerInterceptors.intercept(new HealthStatusManager().getHealthService(),
            AuthInterceptor.enforcing(adminsOnly, Authenticator.certificatesOnly("flashsale"))))
        .build().start();
  }

  @AfterEach
  void stop() {
    arbiter.shutdownNow();
    arbiterTls.close();
  }

  @Test
  void aRenewedCertificateIsPresentedByNewConnectionsAndCallsInFlightFinishOnTheOldOne() throws Exception {
    firstAdmin = ca.issueValidFor(FIRST_CERTIFICATE_LIFETIME, Role.ADMIN, "ops");
    try (TlsFiles.Loaded tls = firstAdmin.files(Duration.ofMillis(200)).load()) {
      RenewingChannel channel = FlashSaleChannels.toArbiter(target(), tls);
      try {
        check(channel); // connected under the short-lived certificate
        assertConnectedBeforeExpiry();
        CompletableFuture<Throwable> watchEnded = watch(channel);
        ca.issue(Role.ADMIN, "ops"); // renewed in place for 30 days, as cert-manager does
        sleepPast(firstAdmin.expiresAt());
        assertEquals(1, channel.renewals(), "one renewal read");
        assertFalse(watchEnded.isDone(), "a call in flight finishes on its old connection: " + watchEnded.getNow(null));
        assertEquals(Status.Code.OK, checkCode(channel), "new calls go on past the first certificate's expiry");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void withoutTheRenewingChannelTheOldConnectionIsCutAtExpiry() throws Exception {
    firstAdmin = ca.issueValidFor(FIRST_CERTIFICATE_LIFETIME, Role.ADMIN, "ops");
    try (TlsFiles.Loaded tls = firstAdmin.files(Duration.ofMillis(200)).load()) {
      ManagedChannel plain = FlashSaleChannels.forTarget(target(), tls.channelTo(Role.ARBITER));
      try {
        check(plain);
        assertConnectedBeforeExpiry();
        ca.issue(Role.ADMIN, "ops");
        sleepPast(firstAdmin.expiresAt());
        assertEquals(Status.Code.UNAUTHENTICATED, checkCode(plain), "what the renewal is for");
      } finally {
        plain.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aCaTakenOutOfTheFileEndsTheOldConnectionsCallsAndNewCallsWork() throws Exception {
    DevCertificates.Issued admin = ca.issue(Role.ADMIN, "ops");
    DevCertificates retired = DevCertificates.create(dir.resolve("retired"), "flashsale");
    Path clientCa = dir.resolve("client-ca.pem");
    Files.writeString(clientCa, Files.readString(admin.trustedCa()) + Files.readString(retired.caPath()));
    try (TlsFiles.Loaded tls = new TlsFiles(admin.certificate(), admin.privateKey(), clientCa, Duration.ofMillis(200)).load()) {
      RenewingChannel channel = FlashSaleChannels.forTarget(target(), tls);
      try {
        check(channel);
        CompletableFuture<Throwable> watchEnded = watch(channel);
        ca.replaceCaFile(clientCa); // the retired CA taken out
        Throwable ended = watchEnded.get(5, TimeUnit.SECONDS);
        assertInstanceOf(StatusRuntimeException.class, ended);
        assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(ended).getCode(), "the old connection's call ended");
        assertEquals(1, channel.renewals());
        assertEquals(Status.Code.OK, checkCode(channel), "a new connection, checked against the re-read CAs");
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aCaTakenOutAfterARenewalEndsTheCallsOfTheChannelRenewedAwayToo() throws Exception {
    DevCertificates.Issued admin = ca.issue(Role.ADMIN, "ops");
    DevCertificates retired = DevCertificates.create(dir.resolve("retired"), "flashsale");
    Path clientCa = dir.resolve("client-ca.pem");
    Files.writeString(clientCa, Files.readString(admin.trustedCa()) + Files.readString(retired.caPath()));
    try (TlsFiles.Loaded tls = new TlsFiles(admin.certificate(), admin.privateKey(), clientCa, Duration.ofMillis(200)).load()) {
      RenewingChannel channel = FlashSaleChannels.forTarget(target(), tls);
      try {
        check(channel);
        CompletableFuture<Throwable> watchEnded = watch(channel);
        channel.renew(); // the watch stays on the channel renewed away
        Thread.sleep(RenewingChannel.RENEWAL_DRAIN_DELAY_MS + 500); // past its graceful shutdown
        assertFalse(watchEnded.isDone(), "a renewal lets the call finish: " + watchEnded.getNow(null));
        ca.replaceCaFile(clientCa); // the retired CA taken out
        Throwable ended = watchEnded.get(5, TimeUnit.SECONDS);
        assertEquals(Status.Code.UNAVAILABLE, Status.fromThrowable(ended).getCode(), "the renewed-away connection's call ended");
        assertEquals(2, channel.renewals());
        assertEquals(Status.Code.OK, checkCode(channel));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aCaAddedToTheFileKeepsTheConnections() throws Exception {
    DevCertificates.Issued admin = ca.issue(Role.ADMIN, "ops");
    Path clientCa = dir.resolve("client-ca.pem");
    Files.copy(admin.trustedCa(), clientCa);
    try (TlsFiles.Loaded tls = new TlsFiles(admin.certificate(), admin.privateKey(), clientCa, Duration.ofMillis(200)).load()) {
      RenewingChannel channel = FlashSaleChannels.forTarget(target(), tls);
      try {
        check(channel);
        CompletableFuture<Throwable> watchEnded = watch(channel);
        // A rotation's first step: the next CA beside the current one.
        DevCertificates next = DevCertificates.create(dir.resolve("next"), "flashsale");
        Files.write(clientCa, Files.readAllBytes(next.caPath()), StandardOpenOption.APPEND);
        Thread.sleep(1_000); // five re-reads
        assertFalse(watchEnded.isDone(), "a CA added ended a call: " + watchEnded.getNow(null));
        assertEquals(0, channel.renewals());
        assertEquals(Status.Code.OK, checkCode(channel));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void aShutDownChannelIsNotRenewedAndTerminates() throws Exception {
    try (TlsFiles.Loaded tls = ca.issue(Role.ADMIN, "ops").files().load()) {
      RenewingChannel channel = FlashSaleChannels.toArbiter(target(), tls);
      check(channel);
      channel.renew();
      channel.shutdown();
      channel.renew();
      assertEquals(1, channel.renewals(), "no renewal after shutdown");
      assertEquals(true, channel.awaitTermination(5, TimeUnit.SECONDS), "the old and the current channel end");
      assertEquals(true, channel.isTerminated());
    }
  }

  @Test
  void aShutDownChannelStopsListeningToTheFiles() throws Exception {
    try (TlsFiles.Loaded tls = adminFiles(Duration.ofDays(1)).load()) {
      java.util.concurrent.atomic.AtomicInteger keptTold = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger droppedTold = new java.util.concurrent.atomic.AtomicInteger();
      TlsFiles.Subscription kept = tls.onIdentityChanged(keptTold::incrementAndGet);
      RenewingChannel channel = FlashSaleChannels.toArbiter(target(), tls);
      channel.closeOnShutdown(tls.onIdentityChanged(droppedTold::incrementAndGet));
      channel.shutdownNow();
      ca.issue(Role.ADMIN, "ops"); // renewed in place
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (keptTold.get() == 0 && System.nanoTime() < deadline) Thread.sleep(50);
      Thread.sleep(500); // the listeners are told one after the other: give the dropped one its chance
      assertEquals(1, keptTold.get(), "the kept listener heard the renewal");
      assertEquals(0, droppedTold.get(), "the listener closed at shutdown did not");
      kept.close();
    }
  }

  @Test
  void aCallMadeJustBeforeAReopenStartsOnTheNewChannel() throws Exception {
    String name = io.grpc.inprocess.InProcessServerBuilder.generateName();
    Server local = io.grpc.inprocess.InProcessServerBuilder.forName(name)
        .addService(new HealthStatusManager().getHealthService()).build().start();
    RenewingChannel channel = new RenewingChannel(() -> FlashSaleChannels.forTarget(FlashSaleChannels.IN_PROCESS_PREFIX + name));
    try {
      var made = channel.newCall(HealthGrpc.getCheckMethod(), io.grpc.CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS));
      channel.reopen(); // the channel current when the call was made is shut down now
      HealthCheckResponse answer = io.grpc.stub.ClientCalls.futureUnaryCall(made, HealthCheckRequest.getDefaultInstance())
          .get(5, TimeUnit.SECONDS);
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, answer.getStatus());
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      local.shutdownNow();
    }
  }

  /** A call whose start is slow (its interceptors, say) holds no other call's start back. */
  @Test
  void aCallThatStartsSlowlyHoldsNoOtherCallBack() throws Exception {
    String name = io.grpc.inprocess.InProcessServerBuilder.generateName();
    Server local = io.grpc.inprocess.InProcessServerBuilder.forName(name)
        .addService(new HealthStatusManager().getHealthService()).build().start();
    java.util.concurrent.CountDownLatch slowStarted = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
    RenewingChannel channel = new RenewingChannel(() -> new SlowFirstStart(
        FlashSaleChannels.forTarget(FlashSaleChannels.IN_PROCESS_PREFIX + name), first, slowStarted, release));
    Thread slow = new Thread(() -> HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .check(HealthCheckRequest.getDefaultInstance()));
    try {
      slow.start();
      assertTrue(slowStarted.await(5, TimeUnit.SECONDS));
      HealthCheckResponse other = HealthGrpc.newFutureStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()).get(5, TimeUnit.SECONDS);
      assertEquals(HealthCheckResponse.ServingStatus.SERVING, other.getStatus(), "answered while the first still starts");
    } finally {
      release.countDown();
      slow.join(10_000);
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      local.shutdownNow();
    }
  }

  /** A channel whose first call waits in its start until released. */
  private static final class SlowFirstStart extends io.grpc.ManagedChannel {
    private final io.grpc.ManagedChannel inner;
    private final java.util.concurrent.atomic.AtomicBoolean first;
    private final java.util.concurrent.CountDownLatch started;
    private final java.util.concurrent.CountDownLatch release;

    SlowFirstStart(io.grpc.ManagedChannel inner, java.util.concurrent.atomic.AtomicBoolean first,
        java.util.concurrent.CountDownLatch started, java.util.concurrent.CountDownLatch release) {
      this.inner = inner;
      this.first = first;
      this.started = started;
      this.release = release;
    }

    @Override
    public <Q, R> io.grpc.ClientCall<Q, R> newCall(io.grpc.MethodDescriptor<Q, R> method, io.grpc.CallOptions options) {
      return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(inner.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, io.grpc.Metadata headers) {
          if (first.getAndSet(false)) {
            started.countDown();
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          super.start(listener, headers);
        }
      };
    }

    @Override public String authority() { return inner.authority(); }
    @Override public io.grpc.ManagedChannel shutdown() { inner.shutdown(); return this; }
    @Override public io.grpc.ManagedChannel shutdownNow() { inner.shutdownNow(); return this; }
    @Override public boolean isShutdown() { return inner.isShutdown(); }
    @Override public boolean isTerminated() { return inner.isTerminated(); }
    @Override public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
      return inner.awaitTermination(timeout, unit);
    }
  }

  private TlsFiles adminFiles(Duration validity) throws Exception {
    return ca.issueValidFor(validity, Role.ADMIN, "ops").files(Duration.ofMillis(200));
  }

  private String target() {
    return "localhost:" + arbiter.getPort();
  }

  /** A second past {@code expiry}. */
  private static void sleepPast(Instant expiry) throws InterruptedException {
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), expiry).toMillis()) + 1_000);
  }

  private void assertConnectedBeforeExpiry() {
    assertTrue(Instant.now().isBefore(firstAdmin.expiresAt()), "set-up outlived the first certificate: nothing to test");
  }

  private static CompletableFuture<Throwable> watch(ManagedChannel channel) {
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
      @Override
      public void onNext(HealthCheckResponse response) {}

      @Override
      public void onError(Throwable t) {
        ended.complete(t);
      }

      @Override
      public void onCompleted() {
        ended.complete(null);
      }
    });
    return ended;
  }

  private static void check(ManagedChannel channel) {
    HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance());
  }

  private static Status.Code checkCode(ManagedChannel channel) {
    try {
      check(channel);
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }
}
