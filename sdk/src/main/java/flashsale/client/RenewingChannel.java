package flashsale.client;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A channel that can be swapped for a fresh one under its callers, for a client whose TLS files
 * change while it runs. A connection keeps the certificate of its handshake, and the arbiter ends
 * a connection's calls once that client certificate expires; so after a renewal new calls must
 * go through new connections ({@link #renew}), and after a CA was removed the old connections,
 * checked against a CA no longer trusted, must end ({@link #reopen}). Each swap opens a new
 * channel with the same credentials, whose key and trust managers already follow the files.
 */
public final class RenewingChannel extends ManagedChannel {
  private static final System.Logger log = System.getLogger(RenewingChannel.class.getName());
  /** How long a renewed-away channel still takes calls (a caller may have fetched it just before). */
  static final long RENEWAL_DRAIN_DELAY_MS = 2_000;

  private final Supplier<ManagedChannel> opener;
  /**
   * Calls start under its read lock, many at once; a swap takes its write lock, so no swap falls
   * between a call choosing the channel and starting on it, and no start waits for another's,
   * except while a swap waits (the lock then queues new starts behind it, until the starts already
   * under way end). Not reentrant across the two: a swap from inside a call's start would wait
   * for itself.
   */
  private final java.util.concurrent.locks.ReadWriteLock swapLock = new java.util.concurrent.locks.ReentrantReadWriteLock();
  private volatile ManagedChannel current;
  /** Channels swapped out whose calls may still be running; terminated ones are dropped. Guarded by this. */
  private final List<ManagedChannel> retired = new ArrayList<>();
  private boolean shutdown; // guarded by this
  private long renewals; // guarded by this
  /** Closed at shutdown: the TLS files' listeners that swap this channel. */
  private final List<AutoCloseable> onShutdown = new ArrayList<>(); // guarded by this

  /** Opens the first channel at once; {@code opener} opens each later one, to the same target. */
  public RenewingChannel(Supplier<ManagedChannel> opener) {
    this.opener = opener;
    this.current = opener.get();
  }

  /**
   * New calls go through a new channel, whose handshakes present the renewed certificate; calls in
   * flight (a long {@code WatchPurchase}, a {@code StreamPurchases}) finish on the old one, which
   * is shut down gracefully a moment later. No-op once shut down.
   */
  public void renew() {
    swap(false);
  }

  /**
   * As {@link #renew}, but the calls of the old channel, and of those renewed away before it, end
   * at once ({@code UNAVAILABLE}): their connections checked the server against CAs this client may
   * no longer trust.
   */
  public void reopen() {
    swap(true);
  }

  /** Closes {@code resource} when this channel is shut down (the listeners that renew it). */
  public synchronized void closeOnShutdown(AutoCloseable resource) {
    onShutdown.add(resource);
    if (shutdown) closeResources(); // registered too late: closed at once
  }

  private void closeResources() {
    for (AutoCloseable resource : onShutdown) {
      try {
        resource.close();
      } catch (Exception e) {
        log.log(System.Logger.Level.WARNING, "closing {0} at shutdown failed: {1}", resource, e.toString());
      }
    }
    onShutdown.clear();
  }

  /** How many times the channel was swapped. */
  public synchronized long renewals() {
    return renewals;
  }

  private void swap(boolean endCalls) {
    ManagedChannel opened = opener.get(); // a TLS channel takes a while to build: not under the lock calls start under
    ManagedChannel old;
    swapLock.writeLock().lock();
    try {
      synchronized (this) {
        if (shutdown) {
          opened.shutdownNow();
          return;
        }
        old = current;
        current = opened;
        renewals++;
        retired.removeIf(ManagedChannel::isTerminated);
        retired.add(old);
        // Every connection checked against the old CAs: those renewed away earlier too, whose long
        // calls would otherwise go on.
        if (endCalls) retired.forEach(ManagedChannel::shutdownNow);
      }
    } finally {
      swapLock.writeLock().unlock();
    }
    if (!endCalls) {
      CompletableFuture.delayedExecutor(RENEWAL_DRAIN_DELAY_MS, TimeUnit.MILLISECONDS).execute(old::shutdown);
    }
    log.log(System.Logger.Level.INFO, "channel to {0} {1}", old.authority(),
        endCalls ? "reopened: calls in flight ended" : "renewed: calls in flight finish on the old connections");
  }

  /**
   * A call bound to a channel when it starts, not when it is made: one made just before a swap
   * starts on the new channel instead of on the old one (which a {@link #reopen} has shut down).
   */
  @Override
  public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method, CallOptions options) {
    return new BoundAtStart<>(method, options);
  }

  private final class BoundAtStart<Q, R> extends ClientCall<Q, R> {
    private final MethodDescriptor<Q, R> method;
    private final CallOptions options;
    private volatile ClientCall<Q, R> delegate; // set by start
    private String cancelledBeforeStart; // guarded by this call
    private Throwable cancelCause;
    private boolean cancelled;
    private boolean started; // guarded by this call

    BoundAtStart(MethodDescriptor<Q, R> method, CallOptions options) {
      this.method = method;
      this.options = options;
    }

    @Override
    public void start(Listener<R> listener, io.grpc.Metadata headers) {
      ClientCall<Q, R> call;
      // Under the swap lock's read side: no swap falls between choosing the channel and starting on it.
      swapLock.readLock().lock();
      try {
        call = current.newCall(method, options);
        synchronized (this) {
          if (delegate != null) throw new IllegalStateException("call already started");
          delegate = call; // before start: the listener may ask isReady() or request() at once
        }
        call.start(listener, headers);
      } finally {
        swapLock.readLock().unlock();
      }
      boolean cancelNow;
      synchronized (this) {
        started = true; // a cancel from now on goes to the call (gRPC refuses a start after a cancel)
        cancelNow = cancelled;
      }
      if (cancelNow) call.cancel(cancelledBeforeStart, cancelCause);
    }

    @Override
    public void cancel(String message, Throwable cause) {
      ClientCall<Q, R> call;
      synchronized (this) {
        call = delegate;
        if (!started) {
          cancelled = true;
          cancelledBeforeStart = message;
          cancelCause = cause;
          return;
        }
      }
      call.cancel(message, cause);
    }

    private ClientCall<Q, R> started() {
      ClientCall<Q, R> call = delegate;
      if (call == null) throw new IllegalStateException("call not started");
      return call;
    }

    @Override
    public void request(int numMessages) {
      started().request(numMessages);
    }

    @Override
    public void halfClose() {
      started().halfClose();
    }

    @Override
    public void sendMessage(Q message) {
      started().sendMessage(message);
    }

    @Override
    public boolean isReady() {
      ClientCall<Q, R> call = delegate;
      return call != null && call.isReady();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      started().setMessageCompression(enabled);
    }

    @Override
    public io.grpc.Attributes getAttributes() {
      return started().getAttributes();
    }
  }

  @Override
  public String authority() {
    return current.authority();
  }

  @Override
  public ManagedChannel shutdown() {
    return end(ManagedChannel::shutdown);
  }

  @Override
  public ManagedChannel shutdownNow() {
    return end(ManagedChannel::shutdownNow);
  }

  /** Stops swapping and renewing, then ends the current and every retired channel with {@code how}. */
  private synchronized ManagedChannel end(java.util.function.Consumer<ManagedChannel> how) {
    shutdown = true;
    closeResources();
    how.accept(current);
    retired.forEach(how);
    return this;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown && current.isTerminated() && retired.stream().allMatch(ManagedChannel::isTerminated);
  }

  /** Waits for the channels of this one, current and swapped out; call it after a shutdown, which ends swapping. */
  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
    long deadlineNanos = System.nanoTime() + unit.toNanos(timeout);
    List<ManagedChannel> all;
    synchronized (this) {
      all = new ArrayList<>(retired);
      all.add(current);
    }
    for (ManagedChannel channel : all) {
      long leftNanos = Math.max(0, deadlineNanos - System.nanoTime());
      if (!channel.awaitTermination(leftNanos, TimeUnit.NANOSECONDS)) return false;
    }
    return true;
  }

  @Override
  public ConnectivityState getState(boolean requestConnection) {
    return current.getState(requestConnection);
  }

  @Override
  public void notifyWhenStateChanged(ConnectivityState source, Runnable callback) {
    current.notifyWhenStateChanged(source, callback);
  }

  @Override
  public void resetConnectBackoff() {
    current.resetConnectBackoff();
  }

  @Override
  public void enterIdle() {
    current.enterIdle();
  }
}
