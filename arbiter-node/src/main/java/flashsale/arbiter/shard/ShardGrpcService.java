package flashsale.arbiter.shard;

import flashsale.shard.ShardDemand;
import flashsale.v1.ReportShardRequest;
import flashsale.v1.ReportShardResponse;
import flashsale.v1.ShardServiceGrpc;
import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import flashsale.wire.EventValidator;
import flashsale.security.AuthInterceptor;
import flashsale.credentials.Principal;
import io.grpc.stub.StreamObserver;
import java.util.Map;

/**
 * Translates shard reports for the {@link ShardCoordinator}: bad reports get INVALID_FIELD, reports
 * it refuses its reason's status, and an event no read of whose shards has succeeded yet UNAVAILABLE.
 */
public final class ShardGrpcService extends ShardServiceGrpc.ShardServiceImplBase {
  private final ShardCoordinator coordinator;

  public ShardGrpcService(ShardCoordinator coordinator) {
    this.coordinator = coordinator;
  }

  @Override
  public void reportShard(ReportShardRequest request, StreamObserver<ReportShardResponse> out) {
    EventValidator.requireId("region", request.getRegion());
    Principal caller = AuthInterceptor.current();
    if (!caller.isRegion(request.getRegion())) {
      throw Errors.error(ErrorReason.IDENTITY_MISMATCH, "the caller's certificate names " + caller.name()
          + ", not region " + request.getRegion());
    }
    EventValidator.requireId("event_id", request.getEventId());
    if (!request.getNodeId().isEmpty()) EventValidator.requireId("node_id", request.getNodeId());
    if (request.getRemainingUnits() < 0 || request.getWaitingUnits() < 0 || request.getDemandUnitsPerSecond() < 0) {
      throw EventValidator.invalid("remaining_units", "and waiting_units and demand_units_per_second must not be negative");
    }
    var demand = new ShardDemand(request.getRegion(), request.getRemainingUnits(), request.getWaitingUnits(),
        request.getDemandUnitsPerSecond());
    coordinator.report(request.getEventId(), request.getNodeId(), demand, request.getShardInUse()).whenComplete((account, error) -> {
      if (error != null) {
        out.onError(error instanceof ShardCoordinator.Refused refused
            ? Errors.error(refused.reason(), refused.getMessage(), Map.of("event_id", request.getEventId()))
            : Errors.error(ErrorReason.SHUTTING_DOWN, "shard coordinator is stopping"));
      } else if (account.isEmpty()) {
        out.onError(Errors.error(ErrorReason.STORE_UNAVAILABLE, "no read of every shard of " + request.getEventId()
            + " has succeeded yet; retry", Map.of("event_id", request.getEventId())));
      } else {
        out.onNext(ReportShardResponse.newBuilder()
            .setEventSoldOut(account.get().soldOut())
            .setEventRemainingUnits(account.get().unsoldUnits())
            .build());
        out.onCompleted();
      }
    });
  }
}
