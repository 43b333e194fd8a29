/**
 * Test harness shared through the common test-jar: a real Redis per test class
 * ({@link flashsale.store.testing.RedisServer}, {@link flashsale.store.testing.RedisServerExtension}),
 * from Testcontainers when Docker runs, else from a local {@code redis-server}. Consumers need
 * {@code org.testcontainers:testcontainers} as a test dependency of their own.
 */
package flashsale.store.testing;
