package flashsale.arbiter.grpc;

import flashsale.sale.ErrorReason;
import flashsale.sale.Partitions;
import flashsale.v1.CancelPurchaseRequest;
import flashsale.v1.ConfirmPaymentRequest;
import flashsale.v1.CreateEventRequest;
import flashsale.v1.EventAdminServiceGetEventRequest;
import flashsale.v1.GetDecisionRequest;
import flashsale.v1.GetOrderRequest;
import flashsale.v1.ListDecisionsRequest;
import flashsale.v1.ListRegionsRequest;
import flashsale.v1.LookupEventRequest;
import flashsale.v1.ReportShardRequest;
import flashsale.v1.SequenceRequest;
import flashsale.wire.Errors;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import java.util.List;

/**
 * One service in front of its per-partition copies: each call goes to the partition of the event
 * its first message names (a region stream: the partition its hello names), and that partition's
 * own interceptors (its leader gate first) take it from there. A call for a partition this node
 * does not lead is thus answered NOT_LEADER naming that partition's leader. Requests that name
 * no event (ListRegions) go to partition 0, whose streams include every region node.
 */
public final class PartitionRouter {
  private PartitionRouter() {}

  /**
   * {@code perPartition.get(p)} serves partition p; all share one service descriptor.
   */
  public static ServerServiceDefinition route(List<ServerServiceDefinition> perPartition, Partitions partitions) {
    if (perPartition.size() != partitions.count()) {
      throw new IllegalArgumentException(perPartition.size() + " service copies for " + partitions.count() + " partitions");
    }
    var first = perPartition.get(0);
    var routed = ServerServiceDefinition.builder(first.getServiceDescriptor());
    for (ServerMethodDefinition<?, ?> method : first.getMethods()) addRouted(routed, method, perPartition, partitions);
    return routed.build();
  }

  @SuppressWarnings("unchecked")
  private static <Q, R> void addRouted(ServerServiceDefinition.Builder routed, ServerMethodDefinition<Q, R> method,
      List<ServerServiceDefinition> perPartition, Partitions partitions) {
    String name = method.getMethodDescriptor().getFullMethodName();
    List<ServerCallHandler<Q, R>> handlers = perPartition.stream()
        .map(d -> ((ServerMethodDefinition<Q, R>) d.getMethod(name)).getServerCallHandler())
        .toList();
    routed.addMethod(method.getMethodDescriptor(), new Routing<>(handlers, partitions));
  }

  /**
   * The partition a request belongs to, or a status to refuse it with. Exposed for tests and for
   * clients that route themselves.
   */
  public static int partitionOf(Object request, Partitions partitions) {
    return switch (request) {
      case SequenceRequest r when r.hasHello() -> {
        int count = r.getHello().getPartitionCount() == 0 ? 1 : r.getHello().getPartitionCount();
        if (count != partitions.count()) {
          throw Errors.error(ErrorReason.PROTOCOL_VIOLATION, "this region node splits events into " + count
              + " partitions, the arbiters into " + partitions.count() + ": set the same --partitions on both");
        }
        yield r.getHello().getPartition();
      }
      case SequenceRequest r -> throw Errors.error(ErrorReason.PROTOCOL_VIOLATION, "first message must be hello");
      case CreateEventRequest r -> partitions.of(r.getEvent().getEventId());
      case EventAdminServiceGetEventRequest r -> partitions.of(r.getEventId());
      case ListDecisionsRequest r -> partitions.of(r.getEventId());
      case GetDecisionRequest r -> partitions.of(r.getEventId());
      case LookupEventRequest r -> partitions.of(r.getEventId());
      case ConfirmPaymentRequest r -> partitions.of(r.getEventId());
      case CancelPurchaseRequest r -> partitions.of(r.getEventId());
      case GetOrderRequest r -> partitions.of(r.getEventId());
      case ReportShardRequest r -> partitions.of(r.getEventId());
      case ListRegionsRequest r -> 0;
      default -> throw new IllegalArgumentException("no partition rule for " + request.getClass().getName());
    };
  }

  /** Reads the first message, then hands the call to that partition's handler and replays it there. */
  private record Routing<Q, R>(List<ServerCallHandler<Q, R>> handlers, Partitions partitions)
      implements ServerCallHandler<Q, R> {
    @Override
    public ServerCall.Listener<Q> startCall(ServerCall<Q, R> call, Metadata headers) {
      call.request(1);
      return new ServerCall.Listener<>() {
        private ServerCall.Listener<Q> target;
        private boolean refused;

        @Override
        public void onMessage(Q message) {
          if (refused) return;
          if (target == null) {
            int partition;
            try {
              partition = partitionOf(message, partitions);
              if (!partitions.contains(partition)) {
                throw Errors.error(ErrorReason.PROTOCOL_VIOLATION, "hello names partition " + partition + " of "
                    + partitions.count());
              }
            } catch (StatusRuntimeException e) {
              refused = true;
              call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
              return;
            }
            target = handlers.get(partition).startCall(call, headers);
            target.onReady();
          }
          target.onMessage(message);
        }

        @Override
        public void onHalfClose() {
          if (target != null) {
            target.onHalfClose();
          } else if (!refused) {
            refused = true;
            StatusRuntimeException e = Errors.error(ErrorReason.MALFORMED_MESSAGE, "no request message");
            call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
          }
        }

        @Override
        public void onCancel() {
          if (target != null) target.onCancel();
        }

        @Override
        public void onComplete() {
          if (target != null) target.onComplete();
        }

        @Override
        public void onReady() {
          if (target != null) target.onReady();
        }
      };
    }
  }
}
