package flashsale.region.grpc;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels to the configured arbiter nodes, tried in turn when the stream breaks, plus a few
 * channels to leaders that standbys named outside them (opened on first use, outside the rotation,
 * dropped when a stream to them fails or when newer ones push them out). Owned by the region
 * server, which shuts them down when it stops. Tests and demos pass their own channels
 * (in-process, or through a delay proxy) with {@link #of}.
 */
public final class ArbiterChannels implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ArbiterChannels.class);
  /** Decision batches for a burst can be large; anything above this is a broken arbiter. */
  public static final int MAX_INBOUND_BYTES = 16 * 1024 * 1024;

  /** The configured arbiters: replaced in place ({@link #reopenAll}), never grows or shrinks; read from any thread. */
  private final List<ManagedChannel> channels;
  /** The target each channel was opened for, by the same index: what {@link #reopenAll} dials again. */
  private final List<String> targets;
  /** How channels opened later (to a leader a standby named, or reopened) authenticate. */
  private final ChannelCredentials credentials;
  /**
   * Channels to named leaders outside {@link #channels}, least recently used first; guarded by
   * this. Bounded: a cluster whose members' addresses change (restarts on new hosts) must not
   * leave a channel behind per former leader.
   */
  private final LinkedHashMap<String, ManagedChannel> leaders = new LinkedHashMap<>(8, 0.75f, true);
  /** Most channels kept to named leaders outside the configured arbiters (a cluster has few leaders at once). */
  static final int MAX_LEADER_CHANNELS = 4;
  private boolean closed; // guarded by this
  /** How long an old channel takes new calls after a renewal (those of callers that fetched it just before). */
  static final long RENEWAL_DRAIN_DELAY_MS = 2_000;

  private ArbiterChannels(List<ManagedChannel> channels, List<String> targets, ChannelCredentials credentials) {
    if (channels.isEmpty()) throw new IllegalArgumentException("no arbiter channel");
    this.channels = new CopyOnWriteArrayList<>(channels);
    this.targets = new CopyOnWriteArrayList<>(targets);
    this.credentials = credentials;
  }

  public static ArbiterChannels of(ManagedChannel... channels) {
    return of(List.of(channels));
  }

  public static ArbiterChannels of(List<ManagedChannel> channels) {
    return new ArbiterChannels(channels, channels.stream().map(ManagedChannel::authority).toList(),
        InsecureChannelCredentials.create());
  }

  /** Plaintext channels to {@code host:port} targets (development: the arbiter runs with --insecure). */
  public static ArbiterChannels forTargets(List<String> hostPorts) {
    return forTargets(hostPorts, InsecureChannelCredentials.create());
  }

  /**
   * Channels to {@code host:port} targets with {@code credentials} (mutual TLS: the region's
   * certificate proves its name), with keepalive so a dead arbiter is noticed.
   */
  public static ArbiterChannels forTargets(List<String> hostPorts, ChannelCredentials credentials) {
    return new ArbiterChannels(hostPorts.stream().map(t -> open(t, credentials)).toList(), hostPorts, credentials);
  }

  private static ManagedChannel open(String target, ChannelCredentials credentials) {
    return Grpc.newChannelBuilder(target, credentials)
        .maxInboundMessageSize(MAX_INBOUND_BYTES)
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(5, TimeUnit.SECONDS)
        .build();
  }

  /** The index of the configured channel whose authority is {@code hostPort} (a leader a standby named); -1 if none. */
  public int indexOf(String hostPort) {
    for (int i = 0; i < channels.size(); i++) {
      if (channels.get(i).authority().equals(hostPort)) return i;
    }
    return -1;
  }

  /**
   * The channel to {@code hostPort}, a leader a standby named that is not configured ({@link
   * #indexOf} -1), opened on first use; opening one more than {@link #MAX_LEADER_CHANNELS} shuts
   * the least recently used down (calls in flight on it finish). Synchronized: loops share it.
   */
  public synchronized ManagedChannel leader(String hostPort) {
    if (closed) return channels.get(0); // shut down: a call on it fails UNAVAILABLE, as on every channel now
    if (indexOf(hostPort) >= 0) throw new IllegalArgumentException("leader " + hostPort + " is a configured arbiter");
    ManagedChannel channel = leaders.get(hostPort);
    if (channel != null) return channel;
    channel = open(hostPort, credentials);
    leaders.put(hostPort, channel);
    log.info("arbiter channel opened leader={} named_by=standby leader_channels={}", hostPort, leaders.size());
    var eldest = leaders.entrySet().iterator();
    while (leaders.size() > MAX_LEADER_CHANNELS) {
      var evicted = eldest.next();
      eldest.remove();
      evicted.getValue().shutdown();
      log.info("arbiter channel closed leader={} why=least_recently_followed", evicted.getKey());
    }
    return channel;
  }

  /**
   * A stream to leader {@code hostPort} through {@code channel} failed: the channel is shut down
   * (calls in flight on it finish), and following that leader again opens a new one. A no-op when
   * the channel was already replaced.
   */
  public synchronized void leaderFailed(String hostPort, ManagedChannel channel) {
    if (!leaders.remove(hostPort, channel)) return;
    channel.shutdown();
    log.info("arbiter channel closed leader={} why=stream_failed", hostPort);
  }

  /** How many channels to named leaders outside the configured arbiters are open. */
  synchronized int leaderChannels() {
    return leaders.size();
  }

  /** The channel for attempt {@code index}, wrapping around the list. */
  public Channel get(int index) {
    return channels.get(Math.floorMod(index, channels.size()));
  }

  /**
   * The channel for attempt {@code index}, told to try connecting now: after an arbiter was
   * down, gRPC's own reconnect backoff (up to minutes) would fail streams fast with "io
   * exception" long after it is back; the link paces its attempts itself.
   */
  public Channel reconnecting(int index) {
    ManagedChannel channel = channels.get(Math.floorMod(index, channels.size()));
    channel.resetConnectBackoff();
    return channel;
  }

  /** How many arbiters are configured: the rotation (channels to named leaders are not in it). */
  public int size() {
    return channels.size();
  }

  /**
   * Replaces every channel with a new one to the same target and ends the old ones' calls: TLS
   * checked the arbiter's certificate at the old connections' handshakes, against CAs the region
   * no longer trusts (its {@code --link-ca} changed). The links reconnect as after any lost
   * stream, through a new handshake.
   */
  public synchronized void reopenAll(String why) {
    replaceAll(why, true);
  }

  /**
   * Replaces every channel with a new one to the same target and lets the old ones' calls finish:
   * this node's certificate was renewed, and only new connections present the new one. Calls made
   * from now on go through new handshakes; a long-lived stream stays on its old connection until it
   * ends (an arbiter ends it once the old certificate expires), and reconnects through a new one.
   */
  public synchronized void renewAll(String why) {
    replaceAll(why, false);
  }

  private void replaceAll(String why, boolean endCalls) {
    if (closed) return;
    for (int i = 0; i < channels.size(); i++) {
      ManagedChannel old = channels.get(i);
      channels.set(i, open(targets.get(i), credentials));
      if (endCalls) {
        old.shutdownNow();
      } else {
        // Later, not now: a caller that fetched the old channel a moment ago still starts its call.
        CompletableFuture.delayedExecutor(RENEWAL_DRAIN_DELAY_MS, TimeUnit.MILLISECONDS).execute(old::shutdown);
      }
    }
    // Channels to named leaders are reopened on their next use, through a new handshake too.
    for (ManagedChannel old : leaders.values()) {
      if (endCalls) old.shutdownNow();
      else CompletableFuture.delayedExecutor(RENEWAL_DRAIN_DELAY_MS, TimeUnit.MILLISECONDS).execute(old::shutdown);
    }
    leaders.clear();
    if (endCalls) log.warn("arbiter channels reopened ({}): {}", channels.size(), why);
    else log.info("arbiter channels renewed ({}), calls in flight finish on the old ones: {}", channels.size(), why);
  }

  @Override
  public synchronized void close() {
    closed = true;
    List<ManagedChannel> all = new ArrayList<>(channels);
    all.addAll(leaders.values());
    leaders.clear();
    all.forEach(ManagedChannel::shutdown);
    for (ManagedChannel channel : all) {
      try {
        if (!channel.awaitTermination(2, TimeUnit.SECONDS)) channel.shutdownNow();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        channel.shutdownNow();
      }
    }
    log.debug("closed {} arbiter channels", all.size());
  }
}
