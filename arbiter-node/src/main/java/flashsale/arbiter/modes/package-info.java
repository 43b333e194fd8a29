/**
 * The arbiter's read-only view of CENTRAL and SHARDED events, whose decisions never pass through
 * its sequencer: counters and the audit log come from the central pool and the regions' shards.
 */
package flashsale.arbiter.modes;
