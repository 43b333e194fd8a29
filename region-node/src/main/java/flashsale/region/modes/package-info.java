/**
 * How a region sells CENTRAL and SHARDED events, which never go through the arbiter's sequencer:
 * CENTRAL deducts from one central Redis per purchase, SHARDED from this region's own shard and,
 * when the shard runs dry, holds the purchase while the arbiter's rebalancer moves stock here.
 */
package flashsale.region.modes;
