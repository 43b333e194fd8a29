/**
 * Translation between the wire ({@code flashsale.v1} protobuf messages, gRPC statuses) and the
 * sale domain. Adapters call these; the pure cores never see protobuf.
 */
package flashsale.wire;
