package flashsale.client.fakes;

import flashsale.v1.EventAdminServiceGrpc;

import flashsale.client.FlashSaleChannels;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * In-process fake servers sharing one {@link FakeLedger}: an arbiter admin API and any number of
 * regions, each reachable as {@code inprocess:NAME}. Close it in {@code @AfterEach}.
 */
public final class FakeCluster implements AutoCloseable {
  public final FakeLedger ledger = new FakeLedger();
  public final FakeAdmin admin = new FakeAdmin(ledger);
  private final List<Server> servers = new ArrayList<>();
  private final String prefix = InProcessServerBuilder.generateName();

  /** Starts the admin API; returns its target. */
  public String startArbiter() throws IOException {
    return start("arbiter", admin);
  }

  /**
   * Starts a standby arbiter: every admin call answers UNAVAILABLE NOT_LEADER naming {@code leader}
   * (none when null), as a real standby does; returns its target.
   */
  public String startStandby(String leader) throws IOException {
    var standby = new EventAdminServiceGrpc.EventAdminServiceImplBase() {};
    io.grpc.ServerInterceptor refuse = new io.grpc.ServerInterceptor() {
      @Override
      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers,
          io.grpc.ServerCallHandler<Q, R> next) {
        return refuseNotLeader(call, leader);
      }
    };
    return start("standby", io.grpc.ServerInterceptors.intercept(standby, refuse));
  }

  /**
   * Starts an arbiter that serves the shared admin API for {@code pagesServed} {@code ListDecisions}
   * calls and then loses its leadership: every later call answers NOT_LEADER naming {@code leader}
   * (none when null). Returns its target.
   */
  public String startDeposedArbiter(int pagesServed, String leader) throws IOException {
    var pages = new java.util.concurrent.atomic.AtomicInteger();
    var deposed = new java.util.concurrent.atomic.AtomicBoolean();
    io.grpc.ServerInterceptor loseLeadership = new io.grpc.ServerInterceptor() {
      @Override
      public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(io.grpc.ServerCall<Q, R> call, io.grpc.Metadata headers,
          io.grpc.ServerCallHandler<Q, R> next) {
        boolean page = call.getMethodDescriptor().equals(EventAdminServiceGrpc.getListDecisionsMethod());
        if (page && pages.incrementAndGet() > pagesServed) deposed.set(true);
        return deposed.get() ? refuseNotLeader(call, leader) : next.startCall(call, headers);
      }
    };
    return start("deposed-" + servers.size(), io.grpc.ServerInterceptors.intercept(admin, loseLeadership));
  }

  /** Calls a standby or deposed arbiter of this cluster turned away. */
  public int refusedAsNotLeader() {
    return refusedAsNotLeader.get();
  }

  private final java.util.concurrent.atomic.AtomicInteger refusedAsNotLeader = new java.util.concurrent.atomic.AtomicInteger();

  /** Refuses as a real standby does (the arbiter's own answer). */
  private <Q, R> io.grpc.ServerCall.Listener<Q> refuseNotLeader(io.grpc.ServerCall<Q, R> call, String leader) {
    refusedAsNotLeader.incrementAndGet();
    var error = flashsale.arbiter.cluster.LeaderGate.notLeader(leader == null ? "" : leader);
    call.close(error.getStatus(), error.getTrailers());
    return new io.grpc.ServerCall.Listener<>() {};
  }

  /** Starts a region that stamps with {@code region}; returns its target. */
  public String startRegion(String region) throws IOException {
    return start(region, new FakeRegion(region, ledger));
  }

  private String start(String role, BindableService service) throws IOException {
    return start(role, service.bindService());
  }

  private String start(String role, io.grpc.ServerServiceDefinition service) throws IOException {
    String name = prefix + "-" + role;
    servers.add(InProcessServerBuilder.forName(name).directExecutor().addService(service).build().start());
    return FlashSaleChannels.IN_PROCESS_PREFIX + name;
  }

  @Override
  public void close() throws InterruptedException {
    for (Server server : servers) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
