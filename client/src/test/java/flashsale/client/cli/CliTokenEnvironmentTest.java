package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.fakes.FakeAdmin;
import flashsale.client.fakes.FakeLedger;
import flashsale.client.fakes.FakeRegion;
import flashsale.credentials.DevCertificates;
import flashsale.credentials.Role;
import flashsale.v1.Event;
import io.grpc.BindableService;
import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FLASHSALE_TOKEN is an operator's token for the arbiter: buyer commands to a region neither send
 * it nor refuse to run because of it. The CLI runs in a JVM of its own, since a test cannot set its
 * own process's environment.
 */
class CliTokenEnvironmentTest {
  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir Path dir;
  private final FakeLedger ledger = new FakeLedger();
  private final List<String> authorizationsSeen = new CopyOnWriteArrayList<>();
  private final List<Server> servers = new ArrayList<>();

  @AfterEach
  void stop() throws InterruptedException {
    for (Server server : servers) server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @Test
  void aPurchaseAtAPlaintextRegionRunsWithTheTokenInTheEnvironment() throws Exception {
    ledger.addEvent(Event.newBuilder().setEventId("shoes").setStock(1).build());
    int port = serve(InsecureServerCredentials.create(), new FakeRegion("near", ledger));

    CliRun run = runWithToken("purchase", "--target", "127.0.0.1:" + port, "--event", "shoes", "--user", "alice",
        "--request-id", "r-1");

    assertEquals(ExitCodes.OK, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("WON request r-1: user alice"), run.out());
  }

  @Test
  void overTlsTheTokenGoesToTheArbiterAndNotToARegion() throws Exception {
    ledger.addEvent(Event.newBuilder().setEventId("shoes").setStock(1).build());
    DevCertificates ca = DevCertificates.create(dir, "flashsale");
    int regionPort;
    int arbiterPort;
    try (var regionTls = ca.issue(Role.REGION, "near").files().load();
        var arbiterTls = ca.issue(Role.ARBITER, "arb").files().load()) {
      regionPort = serve(regionTls.server(false), new FakeRegion("near", ledger));
      arbiterPort = serve(arbiterTls.server(false), new FakeAdmin(ledger));
    }
    String caFile = ca.caPath().toString();

    CliRun purchase = runWithToken("purchase", "--target", "localhost:" + regionPort, "--tls-ca", caFile,
        "--event", "shoes", "--user", "alice", "--request-id", "r-1");
    List<String> atRegion = List.copyOf(authorizationsSeen);
    authorizationsSeen.clear();
    CliRun regions = runWithToken("regions", "--target", "localhost:" + arbiterPort, "--tls-ca", caFile);

    assertEquals(ExitCodes.OK, purchase.exitCode(), purchase.err());
    assertEquals(List.of("none"), atRegion, "the region got no token");
    assertEquals(ExitCodes.OK, regions.exitCode(), regions.err());
    assertEquals(List.of("Bearer env-admin-token"), authorizationsSeen, "the arbiter got the environment's token");
  }

  /** Serves {@code service}, noting each call's authorization header ("none" without one); returns the port. */
  private int serve(ServerCredentials credentials, BindableService service) throws Exception {
    ServerInterceptor noteAuthorization = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String authorization = headers.get(AUTHORIZATION);
        authorizationsSeen.add(authorization == null ? "none" : authorization);
        return next.startCall(call, headers);
      }
    };
    Server server = Grpc.newServerBuilderForPort(0, credentials)
        .addService(ServerInterceptors.intercept(service, noteAuthorization)).build().start();
    servers.add(server);
    return server.getPort();
  }

  /** Runs {@code flashsale args} in a new JVM whose environment holds FLASHSALE_TOKEN. */
  private CliRun runWithToken(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), FlashSaleCli.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command);
    builder.environment().put("FLASHSALE_TOKEN", "env-admin-token");
    builder.environment().remove("FLASHSALE_DEBUG");
    Path out = java.nio.file.Files.createTempFile(dir, "cli", ".out");
    Process process = builder.redirectOutput(out.toFile()).start();
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the CLI did not exit: " + err);
    String stdout = java.nio.file.Files.readString(out);
    return new CliRun(process.exitValue(), stdout, err);
  }
}
