package flashsale.arbiter.cluster;

import java.util.concurrent.CompletionStage;

/**
 * The live arbiters: each node says it is alive every renew interval and learns how many are.
 * A node that stops saying so drops out after the lease ttl, and the others' fair share of the
 * partitions grows to take its partitions over.
 */
public interface ArbiterRoster extends AutoCloseable {

  /** Records this node as alive for one more ttl; completes with the number of live nodes, itself included. */
  CompletionStage<Integer> heartbeat();

  /** Leaves the roster at once (graceful stop). */
  void leave();

  @Override
  void close();
}
