package flashsale.arbiter.grpc;

import flashsale.security.AccessPolicy;
import flashsale.credentials.Role;
import flashsale.v1.EventAdminServiceGrpc;
import flashsale.v1.OrderServiceGrpc;
import flashsale.v1.SequencerServiceGrpc;
import flashsale.v1.ShardServiceGrpc;

/** Who may call what on an arbiter (the README's threat model table says the same). */
public final class ArbiterAccess {
  private ArbiterAccess() {}

  public static final AccessPolicy POLICY = AccessPolicy.builder()
      .openService("grpc.health.v1.Health")
      .openService("grpc.reflection.v1.ServerReflection")
      .openService("grpc.reflection.v1alpha.ServerReflection")
      .service(EventAdminServiceGrpc.SERVICE_NAME, Role.ADMIN, Role.AUDITOR)
      .method(EventAdminServiceGrpc.getCreateEventMethod().getFullMethodName(), Role.ADMIN)
      .service(OrderServiceGrpc.SERVICE_NAME, Role.ORDER, Role.ADMIN)
      .method(OrderServiceGrpc.getGetOrderMethod().getFullMethodName(), Role.ORDER, Role.ADMIN, Role.AUDITOR)
      .service(SequencerServiceGrpc.SERVICE_NAME, Role.REGION)
      .service(ShardServiceGrpc.SERVICE_NAME, Role.REGION)
      .build();
}
