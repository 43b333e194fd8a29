package flashsale.store.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One 3-master Redis Cluster per test class, emptied before each test. Register it on a static field:
 *
 * <pre>{@code @RegisterExtension static final RedisClusterExtension CLUSTER = new RedisClusterExtension();}</pre>
 */
public final class RedisClusterExtension implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
  private RedisCluster cluster;

  @Override
  public void beforeAll(ExtensionContext context) {
    cluster = RedisCluster.start();
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    cluster().flushAll();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (cluster != null) cluster.close();
    cluster = null;
  }

  public RedisCluster cluster() {
    if (cluster == null) throw new IllegalStateException("RedisClusterExtension must be registered on a static field");
    return cluster;
  }

  public String uri() {
    return cluster().uri();
  }
}
