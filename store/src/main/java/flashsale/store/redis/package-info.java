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
 * <p>Plus, per Redis Cluster slot s, {@code fs:{t}:live} and {@code fs:{t}:events} (t a tag that
 * hashes to s, see {@code SlotTags}): the live and all event ids of that slot, written by the
 * function call that creates the event. {@code fs:create-requests} (create request id to event id)
 * is the one key that spans events. The server-side logic is the function library
 * {@code arbiter.lua} beside these classes. {@link flashsale.store.redis.RedisConnection} is one
 * server or a cluster, chosen by the URI ({@link flashsale.store.redis.RedisTarget}).
 */
package flashsale.store.redis;
