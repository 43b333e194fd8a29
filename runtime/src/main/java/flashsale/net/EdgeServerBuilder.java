package flashsale.net;

import io.grpc.BindableService;
import io.grpc.ForwardingServerBuilder;
import io.grpc.ServerBuilder;
import io.grpc.ServerServiceDefinition;

/**
 * A server builder that guards every service added to it against requests that do not parse
 * ({@link MalformedRequests}) and against connections holding calls that never send their request
 * ({@link RequestWaitCap}), so no node can forget one, and quiets grpc-java's protocol-error stack
 * traces ({@link TransportLogs}). Both nodes build their servers through it.
 */
public final class EdgeServerBuilder extends ForwardingServerBuilder<EdgeServerBuilder> {
  private final ServerBuilder<?> delegate;
  private final RequestWaitCap requestWaitCap = new RequestWaitCap(RequestWaitCap.DEFAULT_PER_CONNECTION);

  private EdgeServerBuilder(ServerBuilder<?> delegate) {
    this.delegate = delegate;
    delegate.addTransportFilter(requestWaitCap.transportFilter());
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
    // The cap first: a call refused there costs nothing more.
    delegate.addService(io.grpc.ServerInterceptors.intercept(MalformedRequests.guard(service), requestWaitCap));
    return this;
  }

  @Override
  public EdgeServerBuilder addService(BindableService bindableService) {
    return addService(bindableService.bindService());
  }
}
