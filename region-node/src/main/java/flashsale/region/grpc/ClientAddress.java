package flashsale.region.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

/**
 * Puts the caller's address (no port) in the call's context, for the per-address rate limit: an
 * IPv4 address as it is, an IPv6 one as its /64, the block one host is usually given (each of its
 * 2^64 addresses would otherwise be a fresh bucket).
 */
final class ClientAddress implements ServerInterceptor {
  private static final Context.Key<String> KEY = Context.key("flashsale-client-address");

  /** The current call's client address; "" outside a call or when the transport has none. */
  static String current() {
    String address = KEY.get();
    return address == null ? "" : address;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    String address = remote instanceof InetSocketAddress inet && inet.getAddress() != null
        ? bucketOf(inet.getAddress()) : String.valueOf(remote);
    return Contexts.interceptCall(Context.current().withValue(KEY, address), call, headers, next);
  }

  /** The rate limit's key for {@code address} ({@link ClientBuckets}). */
  static String bucketOf(java.net.InetAddress address) {
    return flashsale.region.transport.ClientBuckets.of(address);
  }
}
