/**
 * The truth at the wire: a zero-delay TCP tap in front of a region that notes when each purchase's
 * bytes reached the region's socket, by {@code request_id}, and the minimal HTTP/2 and gRPC
 * framing it needs to read them (the same framing lets a benchmark write a burst straight onto a
 * socket). Parsing is pure and defensive: odd bytes stop the parsing of that connection, never the
 * forwarding.
 */
package flashsale.client.wire;
