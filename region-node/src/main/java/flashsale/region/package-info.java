/**
 * The region node as a process and as an embeddable component: {@link flashsale.region.RegionConfig}
 * (its settings), {@link flashsale.region.RegionServer} (wires core, loop, arbiter link and gRPC
 * server; start/stop) and {@link flashsale.region.RegionMain} (the command line).
 */
package flashsale.region;
