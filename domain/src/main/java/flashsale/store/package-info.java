/**
 * The store ports. Durable state of the arbiter: events, decisions, per-user counts and the
 * winners' outbox ({@link flashsale.store.ArbiterStore}, {@link flashsale.store.OrderStore}); the
 * stock pools that CENTRAL and SHARDED events are sold from ({@link flashsale.store.ShardStore}).
 * Each has an in-memory implementation for a single process and a Redis one (lettuce) for anything
 * shared; one contract suite per port runs against both.
 */
package flashsale.store;
