/**
 * The region's socket transport. A purchase's arrival stamp is the time the socket read that ended
 * its call (END_STREAM, after its message) took its bytes off the socket:
 * {@link flashsale.region.transport.FrontDoor}'s threads only read the sockets, reading the clock
 * once per socket read, and hand each read with its time to gRPC, which listens in process and
 * decodes on threads of its own ({@link flashsale.region.transport.StampedReads});
 * {@link flashsale.region.transport.ArrivalStamps} gives the call's handler, which runs inside that
 * read, a hold on it through the gRPC {@code Context}. A burst therefore queues after
 * its stamp, never before it, and a read never waits for a decode.
 */
package flashsale.region.transport;
