/**
 * The Redis {@link flashsale.store.ArbiterStore} (lettuce). Keys per event, all tagged
 * {@code {eventId}} so one function call stays in one Cluster slot:
 *
 * <ul>
 *   <li>{@code fs:{e}:meta} hash: spec fields, {@code create_request_id}, {@code remaining},
 *       {@code last_rank}, {@code last_batch_sequence}
 *   <li>{@code fs:{e}:decisions} hash: request id to protobuf {@code PurchaseDecision} bytes
 *   <li>{@code fs:{e}:log} list: request ids in rank order (rank r at index r - 1)
 *   <li>{@code fs:{e}:users} hash: user id to units won
 *   <li>{@code fs:{e}:outbox} stream: one entry per winner
 * </ul>
 *
 * <p>Plus {@code fs:events}, the set of event ids, written outside functions. The server-side
 * logic is the function library {@code arbiter.lua} beside these classes.
 */
package flashsale.store.redis;
