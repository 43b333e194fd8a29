/**
 * Arbiter cluster membership: the leader lease in Redis, the leadership loop that acquires and
 * renews it, the gate that turns calls away from a standby, and the switch of a node between
 * leader and standby.
 */
package flashsale.arbiter.cluster;
