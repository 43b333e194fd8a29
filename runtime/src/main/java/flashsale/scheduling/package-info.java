/**
 * Timers for the nodes' single-thread loops on a real executor: {@link flashsale.scheduling.SteadyBeat}
 * keeps a periodic task on its beat, as {@link flashsale.loop.LoopScheduler#every} promises.
 */
package flashsale.scheduling;
