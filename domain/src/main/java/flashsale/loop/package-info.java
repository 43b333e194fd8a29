/**
 * The single-owner loop a node's core runs on, as an interface: production passes a thread, the
 * whole-system simulation its own virtual-time scheduler, so the same core code runs under both.
 */
package flashsale.loop;
