package flashsale.region.grpc;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The channels to the arbiter nodes, tried in turn when the stream breaks, plus channels to
 * leaders that standbys named and that were not configured (opened on first use). Owned by the
 * region server, which shuts them down when it stops. Tests and demos pass their own channels
 * (in-process, or through a delay proxy) with {@link #of}.
 */
public final class ArbiterChannels implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ArbiterChannels.class);
  /** Decision batches for a burst can be large; anything above this is a broken arbiter. */
  public static final int MAX_INBOUND_BYTES = 16 * 1024 * 1024;

  /**
   * Grows (a named leader not configured) and is replaced in place ({@link #reopenAll}), never
   * shrinks, so an index stays valid; read from any thread.
   */
  private final List<ManagedChannel> channels;
  /** The target each channel was opened for, by the same index: what {@link #reopenAll} dials again. */
  private final List<String> targets;
  /** How channels opened later (to a leader a standby named, or reopened) authenticate. */
  private final ChannelCredentials credentials;
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

  /**
   * The index of the channel whose authority is {@code hostPort} (a leader a standby named); a
   * channel to it is opened and added when none is configured. Synchronized: two loops may ask.
   */
  public synchronized int indexOf(String hostPort) {
    for (int i = 0; i < channels.size(); i++) {
      if (channels.get(i).authority().equals(hostPort)) return i;
    }
    channels.add(open(hostPort, credentials));
    targets.add(hostPort);
    log.info("arbiter channel opened leader={} named_by=standby", hostPort);
    return channels.size() - 1;
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
    if (endCalls) log.warn("arbiter channels reopened ({}): {}", channels.size(), why);
    else log.info("arbiter channels renewed ({}), calls in flight finish on the old ones: {}", channels.size(), why);
  }

  @Override
  public synchronized void close() {
    closed = true;
    channels.forEach(ManagedChannel::shutdown);
    for (ManagedChannel channel : channels) {
      try {
        if (!channel.awaitTermination(2, TimeUnit.SECONDS)) channel.shutdownNow();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        channel.shutdownNow();
      }
    }
    log.debug("closed {} arbiter channels", channels.size());
  }
}
