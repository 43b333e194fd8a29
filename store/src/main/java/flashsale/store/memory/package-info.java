/**
 * The single-process stores: {@link flashsale.store.ArbiterStore}, the order store and the
 * SHARDED {@link flashsale.store.ShardStore}, each plain objects behind one lock.
 */
package flashsale.store.memory;
