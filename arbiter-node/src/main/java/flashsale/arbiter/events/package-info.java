/**
 * The arbiter's events as a use case: create one (stored, then sequenced, then announced), bring
 * stored ones into the sequencer on recovery or look-up, and let finished ones go. The gRPC
 * services and the leader's recovery call this; it knows nothing of gRPC.
 */
package flashsale.arbiter.events;
