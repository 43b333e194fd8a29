package flashsale.store.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.event.ClusterTopologyChangedEvent;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.stream.IntStream;
import reactor.core.Disposable;

/**
 * One lettuce connection to what a {@link RedisTarget} names, through lettuce's own client for it:
 * {@link RedisClient} for one server, {@link RedisClusterClient} for a cluster (commands routed by
 * their first key's slot, MOVED/ASK followed, topology refreshed periodically and on redirects).
 * Callers see {@link RedisClusterAsyncCommands}, which both clients' commands implement, so a store
 * is written once for both. Owns its client: {@link #close()} shuts it down.
 */
public final class RedisConnection<V> implements AutoCloseable {
  /** How often a cluster client re-reads the topology even without a redirect. */
  static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(5);
  /** How long {@link #close()} waits for the client's threads to stop. */
  static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(2);
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RedisConnection.class);

  private final RedisClient client;
  private final RedisClusterClient clusterClient;
  private final StatefulConnection<String, V> connection;
  private final RedisClusterAsyncCommands<String, V> async;
  private final RedisTarget target;
  private final ChannelCount channels;
  private final List<Disposable> subscriptions = new ArrayList<>();

  private RedisConnection(RedisClient client, RedisClusterClient clusterClient, StatefulConnection<String, V> connection,
      RedisClusterAsyncCommands<String, V> async, RedisTarget target, ChannelCount channels) {
    this.client = client;
    this.clusterClient = clusterClient;
    this.connection = connection;
    this.async = async;
    this.target = target;
    this.channels = channels;
  }

  /**
   * Counts the TCP channels the client opens (first connections, reconnections, a cluster's node and
   * topology connections). lettuce resends a command still unanswered when its connection drops over
   * the next one, which may reach another server; a channel is initialized before anything is
   * written on it, so a count unchanged from before a command to after its reply proves the reply
   * came over a connection that already existed when the command was issued.
   */
  private static final class ChannelCount implements NettyCustomizer {
    private final AtomicLong opened = new AtomicLong();

    @Override
    public void afterChannelInitialized(Channel channel) {
      opened.incrementAndGet();
    }
  }

  /**
   * Connects now.
   *
   * @param timeout every command's timeout (async calls time out too); null keeps the URI's
   * @param rejectWhileDisconnected refuse commands at once while disconnected instead of queueing them
   */
  public static <V> RedisConnection<V> open(String uri, RedisCodec<String, V> codec, Duration timeout,
      boolean rejectWhileDisconnected) {
    return open(uri, codec, timeout, rejectWhileDisconnected, false);
  }

  /**
   * The command timeout of a connection to {@code target} that runs replica waits of up to
   * {@code acks}' timeout: the URI's {@code ?timeout=}, else {@code whenUnset} (null: lettuce's 60 s),
   * and never below two waits, or a WAIT would time out at the client while it still blocks the
   * connection at the server. A {@code ?timeout=} of exactly lettuce's default reads as unset.
   */
  public static Duration commandTimeout(RedisTarget target, flashsale.store.ReplicaAcks acks, Duration whenUnset) {
    Duration given = target.seeds().get(0).getTimeout();
    Duration timeout = given.equals(io.lettuce.core.RedisURI.DEFAULT_TIMEOUT_DURATION) && whenUnset != null ? whenUnset : given;
    Duration twoWaits = acks.waits() ? acks.timeout().multipliedBy(2) : Duration.ZERO;
    return timeout.compareTo(twoWaits) >= 0 ? timeout : twoWaits;
  }

  /**
   * As {@link #open(String, RedisCodec, Duration, boolean)}; with {@code pinnedRouting} a cluster
   * connection follows no {@code MOVED}/{@code ASK} redirect (the call fails, the topology is
   * re-read, the caller retries) and re-reads the topology on redirects and reconnections only, not
   * periodically: a call then ran on the master its key's slot pointed to when it was issued, and
   * no connection opens but when something changed (what a replica wait relies on: see {@code
   * ReplicaWait}).
   */
  public static <V> RedisConnection<V> open(String uri, RedisCodec<String, V> codec, Duration timeout,
      boolean rejectWhileDisconnected, boolean pinnedRouting) {
    RedisTarget target = RedisTarget.parse(uri);
    if (timeout != null) target.seeds().forEach(seed -> seed.setTimeout(timeout));
    ClientOptions.DisconnectedBehavior whileDown = rejectWhileDisconnected
        ? ClientOptions.DisconnectedBehavior.REJECT_COMMANDS : ClientOptions.DisconnectedBehavior.DEFAULT;
    ChannelCount channels = new ChannelCount();
    var resources = resources(channels);
    AbstractRedisClient opened = null;
    try {
      if (!target.cluster()) {
        RedisClient client = RedisClient.create(resources);
        opened = client;
        client.setOptions(RedisClients.withTls(ClientOptions.builder().timeoutOptions(TimeoutOptions.enabled())
            .disconnectedBehavior(whileDown)).build());
        StatefulRedisConnection<String, V> c = client.connect(codec, target.seeds().get(0));
        return new RedisConnection<>(client, null, c, c.async(), target, channels);
      }
      RedisClusterClient client = RedisClusterClient.create(resources, target.seeds());
      opened = client;
      ClusterTopologyRefreshOptions.Builder refresh = ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers();
      if (!pinnedRouting) refresh.enablePeriodicRefresh(TOPOLOGY_REFRESH);
      ClusterClientOptions.Builder options = ClusterClientOptions.builder()
          .topologyRefreshOptions(refresh.build())
          .timeoutOptions(TimeoutOptions.enabled())
          // Follow a MOVED to a master added since the last refresh instead of failing the call.
          .validateClusterNodeMembership(false)
          .disconnectedBehavior(whileDown);
      if (pinnedRouting) {
        options.maxRedirects(0);
        // lettuce's own redirect triggers fire only while it follows a redirect, which it no longer
        // does: without this, a slot moved by a failover or a reshard (no connection drops) failed
        // every call to it with MOVED until the process restarted.
        client.addListener(new RefreshOnRedirect(client));
      }
      RedisClients.withTls(options);
      client.setOptions(options.build());
      StatefulRedisClusterConnection<String, V> c = client.connect(codec);
      return new RedisConnection<>(null, client, c, c.async(), target, channels);
    } catch (RuntimeException e) {
      if (opened != null) shutDownWithResources(opened);
      else resources.shutdown(0, SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /**
   * Re-reads the topology when a call failed with {@code MOVED} or {@code ASK} (one read at a time):
   * the failed call is the caller's to retry, and its retry goes where the slot is now.
   */
  private static final class RefreshOnRedirect implements io.lettuce.core.event.command.CommandListener {
    private final RedisClusterClient client;
    private final java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean();

    RefreshOnRedirect(RedisClusterClient client) {
      this.client = client;
    }

    @Override
    public void commandFailed(io.lettuce.core.event.command.CommandFailedEvent event) {
      String message = event.getCause() == null ? null : event.getCause().getMessage();
      if (message == null || !(message.startsWith("MOVED ") || message.startsWith("ASK "))) return;
      if (!reading.compareAndSet(false, true)) return;
      client.refreshPartitionsAsync().whenComplete((done, failure) -> reading.set(false));
    }
  }

  /** The client's own resources (threads), shut down with it (see {@link #shutDown}), counting its channels. */
  private static ClientResources resources(ChannelCount channels) {
    return DefaultClientResources.builder().nettyCustomizer(channels).build();
  }

  /** How many TCP channels the client has opened so far (see {@link ChannelCount}). */
  public long channelsOpened() {
    return channels.opened.get();
  }

  /** {@code host:port} of the server that takes writes to {@code key} as last seen; null if no master serves its slot. */
  public String writerAddress(String key) {
    if (clusterClient == null) return address(target.seeds().get(0));
    RedisClusterNode master = ((StatefulRedisClusterConnection<String, V>) connection).getPartitions()
        .getMasterBySlot(SlotHash.getSlot(key));
    return master == null ? null : address(master.getUri());
  }

  private static String address(RedisURI uri) {
    return uri.getHost() + ":" + uri.getPort();
  }

  /** The commands; on a cluster each goes to the master of its first key's slot. */
  public RedisClusterAsyncCommands<String, V> async() {
    return async;
  }

  /** How long a command may take before it fails at the client. */
  public Duration commandTimeout() {
    return target.seeds().get(0).getTimeout();
  }

  public RedisTarget target() {
    return target;
  }

  /**
   * Runs {@code command} on every master (the one server, or each master of the cluster as last
   * seen), completing with the replies once all have answered, or exceptionally with the first failure.
   */
  public <T> CompletableFuture<List<T>> onEveryMaster(Function<RedisClusterAsyncCommands<String, V>, CompletionStage<T>> command) {
    if (clusterClient == null) return command.apply(async).toCompletableFuture().thenApply(List::of);
    var cluster = (StatefulRedisClusterConnection<String, V>) connection;
    List<CompletableFuture<T>> replies = new ArrayList<>();
    for (RedisClusterNode node : cluster.getPartitions()) {
      // Masters without slots too: lettuce reports a joining node at once, its slots maybe later.
      if (!node.is(RedisClusterNode.NodeFlag.UPSTREAM)) continue;
      replies.add(cluster.getConnectionAsync(node.getNodeId())
          .thenCompose(nodeConnection -> command.apply(nodeConnection.async())));
    }
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
        .thenApply(done -> replies.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Runs {@code command} on every master with the slots {@code 0..slotCount-1} it serves as last
   * seen (ascending; the one server gets them all), completing with the replies once all have
   * answered, or exceptionally with the first failure.
   */
  public <T> CompletableFuture<List<T>> onEveryMasterWithItsSlots(int slotCount,
      BiFunction<RedisClusterAsyncCommands<String, V>, List<Integer>, CompletionStage<T>> command) {
    if (clusterClient == null) {
      return command.apply(async, IntStream.range(0, slotCount).boxed().toList()).toCompletableFuture().thenApply(List::of);
    }
    var cluster = (StatefulRedisClusterConnection<String, V>) connection;
    Partitions partitions = cluster.getPartitions();
    Map<String, List<Integer>> slotsByNode = new LinkedHashMap<>();
    for (int slot = 0; slot < slotCount; slot++) {
      RedisClusterNode master = partitions.getMasterBySlot(slot);
      if (master == null) throw new IllegalStateException("no master serves slot " + slot + " (cluster " + target.describe() + ")");
      slotsByNode.computeIfAbsent(master.getNodeId(), id -> new ArrayList<>()).add(slot);
    }
    List<CompletableFuture<T>> replies = new ArrayList<>();
    slotsByNode.forEach((nodeId, slots) -> replies.add(cluster.getConnectionAsync(nodeId)
        .thenCompose(node -> command.apply(node.async(), slots))));
    return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
        .thenApply(done -> replies.stream().map(CompletableFuture::join).toList());
  }

  /**
   * Runs {@code command} on the connection that carries writes to the server at {@code address}
   * ({@link #writerAddress}): the one server's, or the cluster connection's own connection to that
   * master (lettuce keys it by host and port, as it does for routed writes), so a command that speaks
   * of "this connection's writes" ({@code WAIT}) sees the ones routed there. A key of a slot that
   * has moved away is refused by that server ({@code MOVED}), not followed.
   */
  public <T> CompletableFuture<T> onServer(String address, Function<RedisClusterAsyncCommands<String, V>, CompletionStage<T>> command) {
    if (clusterClient == null) return command.apply(async).toCompletableFuture();
    int colon = address.lastIndexOf(':');
    return ((StatefulRedisClusterConnection<String, V>) connection)
        .getConnectionAsync(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)))
        .thenCompose(node -> command.apply(node.async()));
  }

  /** Re-reads a cluster's topology now (a no-op for one server), e.g. before {@link #onEveryMaster}. */
  public CompletableFuture<Void> refreshTopology() {
    return clusterClient == null ? CompletableFuture.completedFuture(null)
        : clusterClient.refreshPartitionsAsync().toCompletableFuture();
  }

  /** Calls {@code listener} (on a lettuce thread; it must not block) whenever the cluster's topology changed. */
  public void onTopologyChange(Runnable listener) {
    if (clusterClient == null) return;
    subscriptions.add(clusterClient.getResources().eventBus().get()
        .filter(ClusterTopologyChangedEvent.class::isInstance)
        .subscribe(event -> listener.run()));
  }

  /** Closes the connection, then the client. */
  @Override
  public void close() {
    try {
      subscriptions.forEach(Disposable::dispose);
      connection.close();
    } finally {
      if (client != null) shutDownWithResources(client);
      if (clusterClient != null) shutDownWithResources(clusterClient);
    }
  }

  /** {@link #shutDown}, then the resources made for this client alone (a client leaves resources it was given running). */
  private static void shutDownWithResources(AbstractRedisClient client) {
    shutDown(client);
    try {
      client.getResources().shutdown(0, SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)
          .get(SHUTDOWN_WAIT.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (TimeoutException | ExecutionException e) {
      log.warn("redis client resources not shut down: {}", e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Shuts a client down, waiting at most {@link #SHUTDOWN_WAIT}: lettuce's own {@code shutdown()}
   * waits for its future without a bound, and that future sometimes never completes (lettuce
   * issues #2278 and #2985: a cluster client's topology refresh racing the shutdown). A test's
   * teardown waited for it for 14 minutes in CI, and a node's stop would wait forever.
   */
  public static void shutDown(AbstractRedisClient client) {
    try {
      client.shutdownAsync(0, SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS)
          .get(SHUTDOWN_WAIT.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      log.warn("redis client shutdown not finished after {} ms; going on without it", SHUTDOWN_WAIT.toMillis() + 500);
    } catch (ExecutionException e) {
      log.warn("redis client shutdown failed: {}", e.getCause().toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
