/**
 * gRPC adapters of the arbiter: the region streams ({@code SequencerService}), the operator API
 * ({@code EventAdminService}) and the loop that feeds the pure sequencer one input at a time.
 */
package flashsale.arbiter.grpc;
