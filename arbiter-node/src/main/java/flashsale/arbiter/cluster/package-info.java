/**
 * Arbiter cluster membership: the leader lease in Redis, the leadership thread that acquires and
 * renews it (and nothing else), the node's {@link flashsale.arbiter.cluster.LeaderState}, the gate
 * that turns calls away from a standby, and the switch of a node between leader and standby, whose
 * recovery runs on its own thread.
 */
package flashsale.arbiter.cluster;
