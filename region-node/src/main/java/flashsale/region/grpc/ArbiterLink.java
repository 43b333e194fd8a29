package flashsale.region.grpc;

import flashsale.region.core.ArbiterStream;
import flashsale.region.core.ArbiterStream.End;
import flashsale.region.core.ArbiterStream.Out;
import flashsale.region.core.RegionCore;
import flashsale.region.core.StreamOutbox;
import flashsale.sale.Ticket;
import flashsale.v1.ClockProbe;
import flashsale.v1.ClockReport;
import flashsale.v1.RegionHello;
import flashsale.v1.SequenceRequest;
import flashsale.v1.SequenceResponse;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.TicketBatch;
import flashsale.v1.Watermark;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.SplittableRandom;

/**
 * The {@code Sequence} stream over gRPC: translates {@link ArbiterStream}'s messages to protos and
 * the arbiter's back, and nothing else (what is sent when, and where to reconnect, is the core's).
 * Loop-owned: every method but {@link #start()} and {@link #connected()} runs on the region loop.
 */
public final class ArbiterLink {
  private final RegionLoop loop;
  private final ArbiterChannels channels;
  private final ArbiterStream<SequenceResponse> core;

  public ArbiterLink(String region, String instanceId, RegionLoop loop, RegionCore core, ArbiterChannels channels,
      ArbiterStream.Settings settings, ArbiterInbound inbound) {
    this(region, instanceId, loop, core, channels, settings, inbound, 0);
  }

  /** The stream of {@code partition}: tickets of that partition's events, to its leader. */
  public ArbiterLink(String region, String instanceId, RegionLoop loop, RegionCore core, ArbiterChannels channels,
      ArbiterStream.Settings settings, ArbiterInbound inbound, int partition) {
    this.loop = loop;
    this.channels = channels;
    this.core = new ArbiterStream<>(region, instanceId, loop, core, new GrpcTransport(), settings, inbound,
        inbound::notResent, new SplittableRandom(), partition);
  }

  /** Opens the stream and starts the heartbeat and probe timers (posts to the loop; any thread). */
  public void start() {
    start("");
  }

  /** As {@link #start()}, saying hello as node {@code nodeId} of the region (empty: its unnamed node). */
  public void start(String nodeId) {
    loop.execute(() -> core.start(nodeId));
  }

  /** Queues a new ticket; the first one since the last flush schedules a flush behind the queued work. */
  public void send(Ticket ticket) {
    core.send(ticket);
  }

  /** The channel of the current (or next) attempt, for unary calls. */
  public Channel currentChannel() {
    String leader = core.namedLeader();
    return leader.isEmpty() ? channels.get(core.channelIndex()) : channels.leader(leader);
  }

  /** True between the arbiter's welcome and the stream's end. Safe from any thread. */
  public boolean connected() {
    return core.connected();
  }

  /** Ends the stream for good (shutdown); pending tickets are the arbiter's to decide or drop. */
  public void close() {
    core.close();
  }

  private final class GrpcTransport implements ArbiterStream.Transport<SequenceResponse> {
    @Override
    public int channels() {
      return channels.size();
    }

    @Override
    public int indexOf(String arbiterId) {
      return channels.indexOf(arbiterId);
    }

    @Override
    public ArbiterStream.Stream open(int channelIndex, ArbiterStream<SequenceResponse>.Inbound inbound) {
      return open(channels.reconnecting(channelIndex), new Inbound(inbound, () -> {}));
    }

    @Override
    public ArbiterStream.Stream openLeader(String arbiterId, ArbiterStream<SequenceResponse>.Inbound inbound) {
      ManagedChannel channel = channels.leader(arbiterId);
      channel.resetConnectBackoff(); // as reconnecting() does: the link paces its attempts itself
      // A failed stream takes its channel along: a leader that died is not kept connecting to.
      return open(channel, new Inbound(inbound, () -> channels.leaderFailed(arbiterId, channel)));
    }

    private ArbiterStream.Stream open(Channel channel, Inbound inbound) {
      StreamObserver<SequenceRequest> stream = SequencerServiceGrpc.newStub(channel)
          .withExecutor(loop)
          .withMaxInboundMessageSize(ArbiterChannels.MAX_INBOUND_BYTES)
          .sequence(inbound);
      return new ArbiterStream.Stream() {
        @Override
        public void send(Out message) {
          stream.onNext(toProto(message));
        }

        @Override
        public void cancel(String why) {
          if (stream instanceof ClientCallStreamObserver<SequenceRequest> call) call.cancel(why, null);
        }
      };
    }
  }

  private static SequenceRequest toProto(Out message) {
    SequenceRequest.Builder request = SequenceRequest.newBuilder();
    switch (message) {
      case Out.Hello h -> request.setHello(RegionHello.newBuilder().setRegion(h.region()).setInstanceId(h.instanceId())
          .setNodeId(h.nodeId()).addAllSiblingNodeIds(h.siblingNodeIds())
          .setPartition(h.partition()).setPartitionCount(h.partitionCount()));
      case Out.Upstream(StreamOutbox.Up.Tickets t) -> {
        TicketBatch.Builder batch = TicketBatch.newBuilder();
        t.tickets().forEach(ticket -> batch.addTickets(RegionWire.toProto(ticket)));
        request.setTicketBatch(batch);
      }
      case Out.Upstream(StreamOutbox.Up.Watermark w) ->
          request.setWatermark(Watermark.newBuilder().setWatermarkMicros(w.watermarkMicros()));
      case Out.Probe p -> request.setClockProbe(ClockProbe.newBuilder().setOriginMicros(p.originMicros()));
      case Out.Report r -> request.setClockReport(ClockReport.newBuilder()
          .setOffsetMicros(r.offsetMicros()).setRoundTripMicros(r.roundTripMicros()));
    }
    return request.build();
  }

  /**
   * Callbacks of one stream, on the loop (the stub's executor), handed to the core's inbound;
   * {@code failed} runs when the stream ends in a failure (not a standby's or a credential refusal).
   */
  private record Inbound(ArbiterStream<SequenceResponse>.Inbound core, Runnable failed)
      implements StreamObserver<SequenceResponse> {
    @Override
    public void onNext(SequenceResponse message) {
      switch (message.getKindCase()) {
        case WELCOME -> {
          core.welcomed(message.getWelcome().getArbiterId(), message.getWelcome().getMaxClockSkewMicros(),
              message.getWelcome().getStampFloorMicros(), message.getWelcome().getMaxTicketAgeMicros());
          core.message(message); // the sale's side learns of the new stream too
        }
        case REGION_MEMBERS -> core.regionMembers(message.getRegionMembers().getNodeIdsList());
        case CLOCK_REPLY -> core.clockReply(message.getClockReply().getOriginMicros(),
            message.getClockReply().getReceiveMicros(), message.getClockReply().getTransmitMicros());
        default -> core.message(message);
      }
    }

    @Override
    public void onError(Throwable t) {
      // NOT_LEADER is a standby's answer, naming the leader in its metadata when it knows one;
      // CREDENTIALS_INVALID the arbiter's refusal of this connection's certificate (expired).
      String reason = Errors.infoOf(t).map(info -> info.getReason()).orElse("");
      if (reason.equals(ErrorReason.CREDENTIALS_INVALID.name())) {
        core.ended(End.credentialsRefused(t.toString()));
        return;
      }
      End end = Errors.infoOf(t).filter(info -> info.getReason().equals(ErrorReason.NOT_LEADER.name()))
          .map(info -> new End(t.toString(), true, info.getMetadataOrDefault("leader", "")))
          .orElseGet(() -> End.failed(t.toString()));
      if (!end.standby()) failed.run();
      core.ended(end);
    }

    @Override
    public void onCompleted() {
      core.ended(End.failed("completed by the arbiter"));
    }
  }
}
