/**
 * The arbiter's pure core: the {@link flashsale.arbiter.core.Sequencer} state machine that merges
 * all regions' stamped tickets behind the watermark frontier and decides them against stock. No
 * threads, no I/O, no wall clock: time comes in with each input, and effects come out for the
 * adapters to carry out.
 */
package flashsale.arbiter.core;
