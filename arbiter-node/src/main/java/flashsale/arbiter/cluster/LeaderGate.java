package flashsale.arbiter.cluster;

import flashsale.sale.ErrorReason;
import flashsale.wire.Errors;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Turns every call away from a node that does not lead: UNAVAILABLE with ErrorInfo reason
 * NOT_LEADER and, when known, metadata {@code leader} = the leader's {@code host:port}, so a
 * region or an operator goes there instead. Open only once the node has rebuilt its state.
 */
public final class LeaderGate implements ServerInterceptor {
  /**
   * gRPC's server pushback (gRFC A6): a negative value tells a client's retry policy not to try this
   * node again. Sent by a standby that names the leader, so a client goes there at once instead of
   * retrying here first (the SDK's channels retry UNAVAILABLE 5 times, about 0.75 s).
   */
  static final Metadata.Key<String> RETRY_PUSHBACK_MS = Metadata.Key.of("grpc-retry-pushback-ms", Metadata.ASCII_STRING_MARSHALLER);

  private final Supplier<String> leaderAddress;
  private final BooleanSupplier leaseHeld;
  private volatile boolean open;
  private volatile boolean stopping;

  /** A gate for a node that leads alone: open means open. */
  public LeaderGate(Supplier<String> leaderAddress) {
    this(leaderAddress, () -> true);
  }

  /**
   * @param leaseHeld checked on every call as well: a leader paused past its lease turns calls
   *     away at once on waking, before its leadership thread has noticed
   */
  public LeaderGate(Supplier<String> leaderAddress, BooleanSupplier leaseHeld) {
    this.leaderAddress = leaderAddress;
    this.leaseHeld = leaseHeld;
  }

  public void open() {
    open = true;
  }

  public void close() {
    open = false;
  }

  /** This node is stopping: calls and streams are told so (go elsewhere now), not NOT_LEADER. */
  public void stopping() {
    stopping = true;
    open = false;
  }

  public boolean isOpen() {
    return open && leaseHeld.getAsBoolean();
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (isOpen()) return next.startCall(call, headers);
    StatusRuntimeException refusal = refusal();
    call.close(refusal.getStatus(), refusal.getTrailers());
    return new ServerCall.Listener<>() {};
  }

  /**
   * What this node answers while it does not lead, naming the leader as now known; while it holds
   * the lease but is still rebuilding, it names itself and says so (not "a standby").
   */
  public StatusRuntimeException refusal() {
    if (stopping) return Errors.error(ErrorReason.SHUTTING_DOWN, "this arbiter is stopping; call another");
    String leader = leaderAddress.get();
    if (!open && leaseHeld.getAsBoolean()) {
      return notLeader("this arbiter has won the lease and is rebuilding its state; retry shortly", leader);
    }
    if (open) {
      // Its lease ran out before it noticed: the leader it knows may be itself. No pushback: a retry
      // a moment later meets this node as a standby that knows better, or as the leader again.
      return notLeader("this arbiter's lease ran out; the leader was " + (leader.isEmpty() ? "unknown" : leader)
          + "; retry shortly", leader);
    }
    return notLeader(leader);
  }

  /**
   * The status a standby answers with. Naming the leader, it also asks the caller's retry policy not
   * to retry here (a standby stays one for longer than a retry's backoff); naming none, a retry
   * here may meet the election's winner.
   */
  public static StatusRuntimeException notLeader(String leader) {
    if (leader.isEmpty()) return notLeader("this arbiter is a standby and no leader is known yet; retry shortly", leader);
    StatusRuntimeException refusal = notLeader("this arbiter is a standby; the leader is " + leader, leader);
    refusal.getTrailers().put(RETRY_PUSHBACK_MS, "-1");
    return refusal;
  }

  /** NOT_LEADER with {@code text}, and the leader's address in metadata {@code leader} when known. */
  private static StatusRuntimeException notLeader(String text, String leader) {
    return leader.isEmpty() ? Errors.error(ErrorReason.NOT_LEADER, text)
        : Errors.error(ErrorReason.NOT_LEADER, text, Map.of("leader", leader));
  }
}
