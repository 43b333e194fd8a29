/**
 * Durable state of the arbiter: events, decisions, per-user counts and the winners' outbox.
 * {@link flashsale.store.ArbiterStore} has an in-memory implementation for a single process and
 * a Redis one (lettuce) for anything shared; one contract suite runs against both.
 */
package flashsale.store;
