/**
 * The arbiter node: wiring ({@link flashsale.arbiter.ArbiterNode}) and the command line
 * ({@link flashsale.arbiter.ArbiterMain}). The ordering logic lives in {@code core}; the gRPC
 * services in {@code grpc} only translate.
 */
package flashsale.arbiter;
