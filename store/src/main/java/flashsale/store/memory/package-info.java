/** The single-process {@link flashsale.store.ArbiterStore}: plain objects behind one lock. */
package flashsale.store.memory;
