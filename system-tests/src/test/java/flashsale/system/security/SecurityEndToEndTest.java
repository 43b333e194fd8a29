package flashsale.system.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.bench.ModeRun;
import flashsale.client.cluster.DevPki;
import flashsale.client.cluster.JarCluster;
import flashsale.credentials.BearerTokens;
import flashsale.credentials.Role;
import flashsale.credentials.StaticTokens;
import flashsale.system.CliAgainstClusterTest;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.EventMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.GetDecisionRequest;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.LossReason;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.Ticket;
import flashsale.v1.TicketBatch;
import flashsale.v1.Watermark;
import flashsale.wire.Errors;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The threat model, tried from outside against node processes started from the jars, whose links
 * run mutual TLS with certificates of the cluster's own CA: who may open a region's stream, who may
 * call which API, what a back-dated ticket gets, and what an eavesdropper on the far link sees.
 */
class SecurityEndToEndTest {
  private static JarCluster cluster;
  private static final List<ManagedChannel> channels = new ArrayList<>();
  private static final Path LOGS = Path.of("target", "security-logs");

  /** Bearer tokens the arbiter knows by hash (--token-file): an auditor, and one that also lists the region role. */
  private static final String AUDITOR_TOKEN = "auditor-" + java.util.UUID.randomUUID();
  private static final String REGION_CLAIMING_TOKEN = "claims-region-" + java.util.UUID.randomUUID();

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(LOGS);
    Path tokens = LOGS.resolve("tokens.txt");
    Files.write(tokens, List.of(
        "auditor audit-bot " + StaticTokens.sha256Hex(AUDITOR_TOKEN),
        "region,auditor sneaky " + StaticTokens.sha256Hex(REGION_CLAIMING_TOKEN)));
    var settings = JarCluster.Settings.fromBuild(Path.of("").toAbsolutePath(), 30, null, LOGS)
        .withArbiterArgs(List.of("--token-file", tokens.toString()));
    cluster = JarCluster.start(settings, Duration.ofSeconds(60));
  }

  @AfterAll
  static void stop() throws InterruptedException {
    channels.forEach(ManagedChannel::shutdownNow);
    if (cluster != null) cluster.close();
  }

  private static ManagedChannel arbiter(ChannelCredentials credentials) {
    ManagedChannel channel = Grpc.newChannelBuilder(cluster.arbiterTarget(), credentials).build();
    channels.add(channel);
    return channel;
  }

  private static ManagedChannel admin;

  private static synchronized ManagedChannel admin() {
    if (admin == null) {
      admin = cluster.adminChannel();
      channels.add(admin);
    }
    return admin;
  }

  private static DevPki pki() {
    return cluster.pki();
  }

  @Test
  void aStreamWhoseHelloNamesAnotherRegionIsRefusedAndTheRealRegionKeepsItsStream() throws Exception {
    String event = "impersonated-" + System.nanoTime();
    ModeRun.createEvent(admin(), EventMode.EVENT_MODE_GLOBAL_ORDER, event, 5, JarCluster.REGIONS);
    String arbiterLogBefore = Files.readString(LOGS.resolve("arbiter.log"), StandardCharsets.UTF_8);

    // "far" holds a real region certificate, and says it is "near"
    RegionStreamProbe far = RegionStreamProbe.open(arbiter(pki().credentials(Role.REGION, "far")), "near");
    StatusRuntimeException refused = far.awaitError();
    assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), refused.toString());
    assertEquals("IDENTITY_MISMATCH", Errors.reasonOf(refused).orElseThrow());

    // no certificate at all: unauthenticated before any hello is read
    RegionStreamProbe anonymous = RegionStreamProbe.open(arbiter(pki().anonymous()), "near");
    assertEquals(Status.Code.UNAUTHENTICATED, anonymous.awaitError().getStatus().getCode());

    // a certificate for "near" from another CA: the TLS handshake fails
    DevPki forger = DevPki.create(LOGS.resolve("forged-pki"));
    RegionStreamProbe forged = RegionStreamProbe.open(arbiter(forger.credentials(Role.REGION, "near")), "near");
    assertEquals(Status.Code.UNAVAILABLE, forged.awaitError().getStatus().getCode());

    String arbiterLog = Files.readString(LOGS.resolve("arbiter.log"), StandardCharsets.UTF_8).substring(arbiterLogBefore.length());
    assertFalse(arbiterLog.contains("replaced"), "the real near's stream was never replaced:\n" + arbiterLog);
    var regions = EventAdminServiceGrpc.newBlockingStub(admin())
        .listRegions(ListRegionsRequest.getDefaultInstance()).getRegionsList();
    assertTrue(regions.stream().anyMatch(r -> r.getRegion().equals("near") && r.getConnected()), regions.toString());
    assertEquals(Outcome.OUTCOME_WON, purchase("near", event, "canary-user").getOutcome(), "near still sells");
  }

  @Test
  void aBackDatedTicketOnARegionsOwnStreamTakesNoStockAndOnTimeBuyersWin() throws Exception {
    String event = "backdated-" + System.nanoTime();
    long nowMicros = System.currentTimeMillis() * 1000;
    // open since a minute ago, so a stamp 3 s back is inside the sale window: only its age is wrong
    Event sale = event(event).toBuilder().setStock(2).addRegions("east")
        .setStartTime(flashsale.wire.Times.timestamp(nowMicros - 60_000_000)).build();
    EventAdminServiceGrpc.newBlockingStub(admin())
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + event).setEvent(sale).build());
    Thread.sleep(200); // announced to every region
    ManagedChannel east = arbiter(pki().credentials(Role.REGION, "east"));

    // east promises "nothing at or before now" on one stream ...
    RegionStreamProbe first = RegionStreamProbe.open(east, "east");
    first.send(SequenceRequest.newBuilder().setWatermark(Watermark.newBuilder().setWatermarkMicros(nowMicros)).build());
    first.awaitWelcome();
    first.close();
    // ... then reconnects (a new stream starts a new order check) and back-dates two tickets by 3 s
    RegionStreamProbe second = RegionStreamProbe.open(east, "east");
    second.awaitWelcome();
    second.send(SequenceRequest.newBuilder().setTicketBatch(TicketBatch.newBuilder()
        .addTickets(ticket(event, "early-bird-1", nowMicros - 3_000_000))
        .addTickets(ticket(event, "early-bird-2", nowMicros - 2_999_000))).build());
    List<PurchaseDecision> backdated = second.awaitDecisions(2);
    for (PurchaseDecision d : backdated) {
      assertEquals(Outcome.OUTCOME_LOST, d.getOutcome(), d.toString());
      assertEquals(LossReason.LOSS_REASON_STAMP_OUT_OF_BOUNDS, d.getLossReason(), d.toString());
    }
    second.close();

    // on-time buyers take both units (east is left out of the frontier once silent past its timeout)
    assertEquals(Outcome.OUTCOME_WON, purchase("far", event, "on-time-far").getOutcome());
    assertEquals(Outcome.OUTCOME_WON, purchase("near", event, "on-time-near").getOutcome());
  }

  @Test
  void adminAuditorAndInternalApisNeedTheirRole() {
    String event = "roles-" + System.nanoTime();
    var anonymous = EventAdminServiceGrpc.newBlockingStub(arbiter(pki().anonymous())).withDeadlineAfter(10, TimeUnit.SECONDS);
    var auditor = EventAdminServiceGrpc.newBlockingStub(arbiter(pki().credentials(Role.AUDITOR, "audit")))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    var admin = EventAdminServiceGrpc.newBlockingStub(admin()).withDeadlineAfter(10, TimeUnit.SECONDS);
    CreateEventRequest create = CreateEventRequest.newBuilder().setRequestId("create-" + event).setEvent(event(event)).build();

    assertStatus(Status.Code.UNAUTHENTICATED, "CREDENTIALS_MISSING", () -> anonymous.createEvent(create));
    assertStatus(Status.Code.UNAUTHENTICATED, "CREDENTIALS_MISSING",
        () -> anonymous.listDecisions(ListDecisionsRequest.newBuilder().setEventId(event).build()));
    assertStatus(Status.Code.UNAUTHENTICATED, "CREDENTIALS_MISSING", () -> SequencerServiceGrpc
        .newBlockingStub(arbiter(pki().anonymous())).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getDecision(GetDecisionRequest.newBuilder().setEventId(event).setRequestId("r").build()));
    assertStatus(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", () -> auditor.createEvent(create));
    assertStatus(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", () -> SequencerServiceGrpc
        .newBlockingStub(arbiter(pki().credentials(Role.ADMIN, "ops"))).withDeadlineAfter(10, TimeUnit.SECONDS)
        .getDecision(GetDecisionRequest.newBuilder().setEventId(event).setRequestId("r").build()));

    assertEquals(event, admin.createEvent(create).getEvent().getEventId());
    assertEquals(0, auditor.listDecisions(ListDecisionsRequest.newBuilder().setEventId(event).build()).getDecisionsCount());
    // plaintext to a TLS port gets nowhere
    var plaintext = EventAdminServiceGrpc.newBlockingStub(arbiter(InsecureChannelCredentials.create()))
        .withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals(Status.Code.UNAVAILABLE, assertThrows(StatusRuntimeException.class,
        () -> plaintext.listRegions(ListRegionsRequest.getDefaultInstance())).getStatus().getCode());
  }

  @Test
  void aStaticTokenGrantsItsRolesOverTlsButNeverTheRegionRole() throws Exception {
    String event = "tokens-" + System.nanoTime();
    EventAdminServiceGrpc.newBlockingStub(admin()).withDeadlineAfter(10, TimeUnit.SECONDS)
        .createEvent(CreateEventRequest.newBuilder().setRequestId("create-" + event).setEvent(event(event)).build());
    var auditor = EventAdminServiceGrpc.newBlockingStub(arbiter(pki().anonymous()))
        .withCallCredentials(BearerTokens.credentials(AUDITOR_TOKEN)).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals(0, auditor.listDecisions(ListDecisionsRequest.newBuilder().setEventId(event).build()).getDecisionsCount());
    assertStatus(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", () -> auditor.createEvent(
        CreateEventRequest.newBuilder().setRequestId("again-" + event).setEvent(event(event + "-2")).build()));
    assertStatus(Status.Code.UNAUTHENTICATED, "CREDENTIALS_INVALID", () -> EventAdminServiceGrpc
        .newBlockingStub(arbiter(pki().anonymous())).withCallCredentials(BearerTokens.credentials("made-up")).withDeadlineAfter(10, TimeUnit.SECONDS)
        .listDecisions(ListDecisionsRequest.newBuilder().setEventId(event).build()));
    // The file lists "region" for this token, but only a certificate makes a region.
    assertStatus(Status.Code.PERMISSION_DENIED, "ROLE_REQUIRED", () -> SequencerServiceGrpc
        .newBlockingStub(arbiter(pki().anonymous())).withCallCredentials(BearerTokens.credentials(REGION_CLAIMING_TOKEN))
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .getDecision(GetDecisionRequest.newBuilder().setEventId(event).setRequestId("r").build()));

    // The CLI, as an operator runs it: the token from a file, over TLS trusting the cluster's CA.
    Path tokenFile = LOGS.resolve("auditor.token");
    Files.writeString(tokenFile, AUDITOR_TOKEN + "\n");
    var cli = CliAgainstClusterTest.flashsale("event", "decisions", "--target", cluster.arbiterTarget(),
        "--tls-ca", pki().caPath().toString(), "--token-file", tokenFile.toString(), "--event", event);
    assertEquals(0, cli.exitCode(), cli.out() + cli.err());
  }


  @Test
  void theFarLinkCarriesTlsNeverAPlainHttp2Preface() {
    List<byte[]> openings = cluster.farLink().connectionOpenings();
    assertFalse(openings.isEmpty(), "the far region connected through the recording proxy");
    byte[] preface = "PRI * HTTP/2.0".getBytes(StandardCharsets.US_ASCII);
    for (byte[] opening : openings) {
      assertFalse(startsWith(opening, preface), "a plaintext HTTP/2 preface crossed the far link");
      assertEquals(0x16, opening[0] & 0xff, "a TLS handshake record opens every connection");
      assertEquals(0x03, opening[1] & 0xff);
    }
  }

  private static boolean startsWith(byte[] bytes, byte[] prefix) {
    if (bytes.length < prefix.length) return false;
    for (int i = 0; i < prefix.length; i++) if (bytes[i] != prefix[i]) return false;
    return true;
  }

  private static void assertStatus(Status.Code code, String reason, org.junit.jupiter.api.function.Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), e.toString());
    assertEquals(reason, Errors.reasonOf(e).orElse("<none>"), e.toString());
  }

  private static Event event(String eventId) {
    long nowMicros = System.currentTimeMillis() * 1000;
    return Event.newBuilder().setEventId(eventId).setItem("sneakers").setStock(1)
        .setStartTime(flashsale.wire.Times.timestamp(nowMicros)).setEndTime(flashsale.wire.Times.timestamp(nowMicros + 60_000_000))
        .setPerUserLimit(1).addAllRegions(JarCluster.REGIONS).setMode(EventMode.EVENT_MODE_GLOBAL_ORDER).build();
  }

  private static Ticket ticket(String event, String requestId, long stampMicros) {
    return Ticket.newBuilder().setEventId(event).setRequestId(requestId).setUserId("user-" + requestId).setQuantity(1)
        .setArrivalMicros(stampMicros).build();
  }

  private static PurchaseDecision purchase(String region, String event, String user) {
    ManagedChannel channel = Grpc.newChannelBuilder(cluster.regionTarget(region), InsecureChannelCredentials.create()).build();
    channels.add(channel);
    return FlashSaleServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
        .purchase(PurchaseRequest.newBuilder().setEventId(event).setUserId(user).setRequestId("req-" + user + "-" + event)
            .setQuantity(1).build())
        .getDecision();
  }
}
