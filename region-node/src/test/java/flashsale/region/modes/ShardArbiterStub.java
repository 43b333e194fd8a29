package flashsale.region.modes;

import flashsale.v1.ReportShardRequest;
import flashsale.v1.ReportShardResponse;
import flashsale.v1.ShardServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;

/**
 * The arbiter's side of a SHARDED sale as a region's seller sees it, in process: every shard report
 * is answered with the same count of units left across the event, so a short shard waits for a
 * transfer (more than its own units left) or hears the sale is sold out (none).
 */
public final class ShardArbiterStub implements AutoCloseable {
  private final Server server;
  private final ManagedChannel channel;
  /** Every report this arbiter was sent, oldest first. */
  public final java.util.concurrent.BlockingQueue<ReportShardRequest> reports;

  private ShardArbiterStub(Server server, ManagedChannel channel,
      java.util.concurrent.BlockingQueue<ReportShardRequest> reports) {
    this.server = server;
    this.channel = channel;
    this.reports = reports;
  }

  /** Started: each ReportShard answers {@code eventRemainingUnits}. */
  public static ShardArbiterStub reporting(long eventRemainingUnits) throws IOException {
    String name = InProcessServerBuilder.generateName();
    var reports = new java.util.concurrent.LinkedBlockingQueue<ReportShardRequest>();
    Server server = InProcessServerBuilder.forName(name).directExecutor().addService(new ShardServiceGrpc.ShardServiceImplBase() {
      @Override
      public void reportShard(ReportShardRequest request, StreamObserver<ReportShardResponse> out) {
        reports.add(request);
        out.onNext(ReportShardResponse.newBuilder().setEventRemainingUnits(eventRemainingUnits).build());
        out.onCompleted();
      }
    }).build().start();
    return new ShardArbiterStub(server, InProcessChannelBuilder.forName(name).directExecutor().build(), reports);
  }

  /** Started: each ReportShard fails UNAVAILABLE, as while no arbiter can be reached. */
  public static ShardArbiterStub unreachable() throws IOException {
    String name = InProcessServerBuilder.generateName();
    var reports = new java.util.concurrent.LinkedBlockingQueue<ReportShardRequest>();
    Server server = InProcessServerBuilder.forName(name).directExecutor().addService(new ShardServiceGrpc.ShardServiceImplBase() {
      @Override
      public void reportShard(ReportShardRequest request, StreamObserver<ReportShardResponse> out) {
        reports.add(request);
        out.onError(io.grpc.Status.UNAVAILABLE.withDescription("no arbiter").asRuntimeException());
      }
    }).build().start();
    return new ShardArbiterStub(server, InProcessChannelBuilder.forName(name).directExecutor().build(), reports);
  }

  /** The channel a seller reaches this arbiter on, for every event. */
  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
  }
}
