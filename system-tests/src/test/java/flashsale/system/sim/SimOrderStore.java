package flashsale.system.sim;

import flashsale.loop.OffLoop;
import flashsale.orders.OrderTransition;
import flashsale.orders.OrderWrite;
import flashsale.store.OrderStore;
import flashsale.store.StoreFencedException;
import flashsale.store.StoreRejectedException;
import flashsale.store.memory.InMemoryOrderStore;
import flashsale.store.testing.ForwardingOrderStore;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;

/**
 * The contract-tested {@link InMemoryOrderStore} behind a simulated connection, as {@link SimStore}
 * puts the decision store: an order write reaches the store after a delay and its reply comes back
 * after another, and either leg may be lost (a timeout; a lost reply means the write happened). A
 * new leader's order book reads on a store thread of its process, a while later. The oracle sees
 * every write the store accepts; a write the store refuses for breaking its rules (not a fenced
 * one) means the book and the store disagree, and fails the run.
 */
final class SimOrderStore extends ForwardingOrderStore {
  private final SimScheduler scheduler;
  private final Random random;
  private final SimOrderOracle oracle;
  private final java.util.function.Consumer<String> count;
  /** Out of 1000 writes, how many lose their request or their reply. */
  private final int lossPerMille;
  /** Told of each transition the store accepted (what a watcher of the order would be pushed). */
  private final BiConsumer<String, OrderTransition> watchers;

  SimOrderStore(InMemoryOrderStore delegate, SimScheduler scheduler, Random random, SimOrderOracle oracle,
      java.util.function.Consumer<String> count, BiConsumer<String, OrderTransition> watchers) {
    super(delegate);
    this.scheduler = scheduler;
    this.random = random;
    this.oracle = oracle;
    this.count = count;
    this.lossPerMille = random.nextInt(4) == 0 ? 30 : 0;
    this.watchers = watchers;
  }

  /** This store as one process reaches it: a reply that comes back after the process died is never heard. */
  OrderStore of(NodeLoop loop) {
    OrderStore shared = this;
    return new ForwardingOrderStore(shared) {
      @Override
      public CompletableFuture<Void> persistOrders(OrderWrite write, long fencingEpoch) {
        CompletableFuture<Void> heard = new CompletableFuture<>();
        Throwable[] error = new Throwable[1];
        Runnable hear = loop.ofThisProcess(() -> {
          if (error[0] == null) heard.complete(null);
          else heard.completeExceptionally(error[0]);
        });
        shared.persistOrders(write, fencingEpoch).whenComplete((ok, e) -> {
          error[0] = e;
          hear.run();
        });
        return heard;
      }
    };
  }

  /** Where the process's order book reads: a store thread that answers after a while, never after the process died. */
  OffLoop reads(NodeLoop loop) {
    return task -> scheduler.after(50 + random.nextLong(1_500), loop.ofThisProcess(task));
  }

  @Override
  public CompletableFuture<Void> persistOrders(OrderWrite write, long fencingEpoch) {
    CompletableFuture<Void> reply = new CompletableFuture<>();
    long timeoutMicros = 5_000;
    if (random.nextInt(1000) < lossPerMille) {
      count.accept("order writes lost");
      scheduler.after(timeoutMicros, () -> reply.completeExceptionally(new TimeoutException("store request lost")));
      return reply;
    }
    scheduler.after(50 + random.nextLong(1_500), () -> {
      CompletableFuture<Void> written = delegate.persistOrders(write, fencingEpoch);
      Throwable error = written.isCompletedExceptionally() ? written.exceptionNow() : null;
      if (error instanceof StoreRejectedException) {
        throw new AssertionError("the store refused " + write + ": " + error.getMessage(), error);
      }
      if (error instanceof StoreFencedException) count.accept("order writes fenced");
      if (error == null && oracle.written(write)) {
        for (OrderTransition t : write.transitions()) watchers.accept(write.eventId(), t);
      }
      if (random.nextInt(1000) < lossPerMille) {
        count.accept("order write replies lost");
        scheduler.after(timeoutMicros, () -> reply.completeExceptionally(new TimeoutException("store reply lost")));
        return;
      }
      scheduler.after(50 + random.nextLong(1_500), () -> {
        if (error == null) reply.complete(null);
        else reply.completeExceptionally(error);
      });
    });
    return reply;
  }
}
