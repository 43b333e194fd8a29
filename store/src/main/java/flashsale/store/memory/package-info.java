/**
 * The single-process stores: {@link flashsale.store.ArbiterStore}, the order store, the SHARDED
 * {@link flashsale.store.ShardStore} and the CENTRAL and SHARDED {@link flashsale.store.PoolStore},
 * each plain objects behind one lock.
 */
package flashsale.store.memory;
