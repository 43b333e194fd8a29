package flashsale.net;

import io.grpc.BindableService;
import io.grpc.ForwardingServerBuilder;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;

/**
 * A server builder that guards every service added to it against requests that do not parse
 * ({@link MalformedRequests}), so no node can forget one, and quiets grpc-java's protocol-error
 * stack traces ({@link TransportLogs}). Both nodes build their servers through it.
 */
public final class EdgeServerBuilder extends ForwardingServerBuilder<EdgeServerBuilder> {
  private final ServerBuilder<?> delegate;

  private EdgeServerBuilder(ServerBuilder<?> delegate) {
    this.delegate = delegate;
  }

  public static EdgeServerBuilder of(ServerBuilder<?> delegate) {
    TransportLogs.install();
    return new EdgeServerBuilder(delegate);
  }

  @Override
  protected ServerBuilder<?> delegate() {
    return delegate;
  }

  @Override
  public EdgeServerBuilder addService(ServerServiceDefinition service) {
    delegate.addService(MalformedRequests.guard(service));
    return this;
  }

  @Override
  public EdgeServerBuilder addService(BindableService bindableService) {
    return addService(bindableService.bindService());
  }
}
