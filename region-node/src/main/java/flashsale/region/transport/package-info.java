/**
 * The region's socket transport. A purchase's arrival stamp is the time its bytes were read off the
 * socket: {@link flashsale.region.transport.ReadStampHandler} sits at the head of every accepted
 * connection's Netty pipeline and reads the clock once per socket read, before HTTP/2 decoding;
 * {@link flashsale.region.transport.ArrivalStamps} carries that time from the stream's creation
 * (on the same thread, inside the same read) to the call's handler through the gRPC
 * {@code Context}. A burst therefore queues after its stamp, never before it.
 */
package flashsale.region.transport;
