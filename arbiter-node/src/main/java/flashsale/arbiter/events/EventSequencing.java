package flashsale.arbiter.events;

import flashsale.arbiter.core.Sequencer;
import flashsale.sale.EventHead;
import flashsale.sale.EventSpec;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * What the event use case needs of the sequencer's loop (the port; {@code SequencerLoop} is the
 * production one): a task run in order with the sequencer's inputs, and the two ways an event
 * enters it. {@link #addEvent} and {@link #finishedEventAdded} are called only from within
 * {@link #query}, on the loop thread.
 */
public interface EventSequencing {
  /**
   * The term under way: its sequencer (each term has its own; compared, never used off the loop)
   * and the epoch its store writes carry ({@code ArbiterStore.UNFENCED} for a lone arbiter).
   */
  record Term(Sequencer sequencer, long fencingEpoch) {}

  /** Runs {@code query} on the loop thread, in order with the sequencer's inputs; fails while not leading. */
  <T> CompletableFuture<T> query(Function<Sequencer, T> query);

  /** The term under way, read on the loop thread; fails while not leading. */
  CompletableFuture<Term> term();

  /** A newer leader's claim fenced a store call made under {@code epoch}: that term ends, as after a fenced batch. */
  void fenced(long epoch);

  /** The loop's clock, UTC epoch microseconds. */
  long nowMicros();

  /**
   * Starts sequencing the event from its stored head; its order book, if any, loads.
   *
   * @param waitlistBound the event's waitlist bound (losers ranked in global order for it); 0 for none
   */
  void addEvent(EventHead head, EventSpec spec, long waitlistBound);

  /**
   * A finished event found still live: not sequenced again, but its order book (if any) runs its
   * payment windows out; {@code settled} runs on the loop once nothing is left to do.
   */
  void finishedEventAdded(EventSpec spec, Runnable settled);
}
