package flashsale.arbiter.cluster;

/** Where a node stands in the arbiter cluster. */
public enum LeaderState {
  /** Does not hold the lease: refuses calls with NOT_LEADER naming the leader. */
  STANDBY,
  /** Holds the lease and is recovering the live events; still refuses calls. */
  RECOVERING,
  /** Holds the lease and has recovered: decides, and is the only node that should report SERVING. */
  LEADING
}
