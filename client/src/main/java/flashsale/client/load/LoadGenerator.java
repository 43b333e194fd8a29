package flashsale.client.load;

import flashsale.client.FlashSaleClient;
import flashsale.client.FlashSaleException;
import flashsale.client.ProtoTimes;
import flashsale.client.PurchaseResult;
import flashsale.v1.PurchaseDecision;
import flashsale.v1.PurchaseRequest;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one load against real region nodes: sends each planned purchase when it is due (async, up
 * to {@code maxInFlight} at once), stamps its true send time from this generator's clock, and
 * records what came back. One instance runs once; {@link #progress()} may be polled meanwhile.
 * When the event is a reservation (its {@code GetEvent} lists slots), each request names 1 to 3
 * of them, best first, drawn from the run's seed and the request's index, and its record keeps
 * them and the slot won.
 */
public final class LoadGenerator {
  private static final Logger log = LoggerFactory.getLogger(LoadGenerator.class);
  private final LoadConfig config;
  private final InstantSource clock;
  private final List<PlannedRequest> plan;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong errors = new AtomicLong();
  private final AtomicBoolean ran = new AtomicBoolean();
  private volatile long startNanos;
  /** The reservation's slots, as the warm-up's GetEvent listed them; empty for a flash sale. */
  private List<String> slots = List.of();
  private final java.util.function.ToLongFunction<String> wireMicros;

  /** A generator stamping send times with the system clock. */
  public LoadGenerator(LoadConfig config) {
    this(config, InstantSource.system());
  }

  /** A generator stamping send times with {@code clock} (for tests and simulations). */
  public LoadGenerator(LoadConfig config, InstantSource clock) {
    this(config, clock, requestId -> 0);
  }

  /**
   * A generator whose records also carry each request's wire arrival at its region, as taps in
   * front of the regions noted it ({@code wireMicros}: request_id to UTC µs, 0 when unseen).
   */
  public LoadGenerator(LoadConfig config, InstantSource clock, java.util.function.ToLongFunction<String> wireMicros) {
    this.config = config;
    this.clock = clock;
    this.wireMicros = wireMicros;
    // A fresh prefix per run: reused request ids would be answered from the earlier run.
    this.plan = config.plan(UUID.randomUUID().toString().substring(0, 8));
  }

  /** The requests this run will send, in due order. */
  public List<PlannedRequest> plan() {
    return plan;
  }

  /** Counts so far; safe to call from any thread while {@link #run()} is going. */
  public LoadProgress progress() {
    long started = startNanos;
    long elapsedMicros = started == 0 ? 0 : (System.nanoTime() - started) / 1000;
    return new LoadProgress(plan.size(), sent.get(), completed.get(), errors.get(), elapsedMicros);
  }

  /** Sends the whole plan and waits for every answer (bounded by twice the call deadline). */
  public LoadResult run() throws InterruptedException {
    if (!ran.compareAndSet(false, true)) {
      throw new IllegalStateException("a LoadGenerator runs once; create another for the next run");
    }
    Map<String, FlashSaleClient> clients = new HashMap<>();
    config.regions().forEach(r -> clients.put(r.name(), new FlashSaleClient(r.channel(), config.deadline())));
    warmUp(clients);
    RequestRecord[] records = new RequestRecord[plan.size()];
    Histogram latency = new ConcurrentHistogram(3);
    Semaphore permits = new Semaphore(config.maxInFlight());
    CountDownLatch done = new CountDownLatch(plan.size());
    ScheduledExecutorService delayer =
        Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("loadgen-delay").unstarted(r));
    long startMicros = ProtoTimes.micros(clock.instant());
    startNanos = System.nanoTime();
    try {
      for (PlannedRequest p : plan) {
        List<String> asked = slotsAsked(slots, config.seed(), p.index()); // before the send is stamped
        parkUntil(startNanos + p.offsetMicros() * 1000);
        permits.acquire();
        long sendMicros = ProtoTimes.micros(clock.instant());
        // Latency counts from when the request was due, not from when this thread got to send it:
        // a driver held up (a stall, or the in-flight cap) must not hide the wait (coordinated omission).
        long sendNanos = Math.min(startNanos + p.offsetMicros() * 1000, System.nanoTime());
        long delayMicros = Math.max(0, config.clientDelay().extraMicros(p));
        Runnable fire = () -> send(clients.get(p.region()), p, asked, sendMicros, sendNanos, delayMicros,
            record -> {
              records[p.index()] = record;
              if (record.decided() || record.outcome() == RecordOutcome.PENDING) { // pending: waited out its deadline
                latency.recordValue(record.latencyMicros());
              }
              permits.release();
              done.countDown();
            });
        if (delayMicros > 0) {
          delayer.schedule(fire, delayMicros, TimeUnit.MICROSECONDS);
        } else {
          fire.run();
        }
        sent.incrementAndGet();
      }
      done.await();
    } finally {
      delayer.shutdownNow();
    }
    for (int i = 0; i < records.length; i++) records[i] = records[i].withWireMicros(wireMicros.applyAsLong(records[i].requestId()));
    return new LoadResult(Arrays.asList(records), startMicros, ProtoTimes.micros(clock.instant()), latency);
  }

  /**
   * One GetEvent per region before the clock starts. Otherwise the first requests would carry
   * connection setup and class loading in their latency, and a region whose connection is slower
   * to come up would look unfairly treated. Any answer, even an error, means the path is warm.
   */
  private void warmUp(Map<String, FlashSaleClient> clients) {
    boolean[] answered = {false};
    clients.values().forEach(client -> {
      try {
        var event = client.getEvent(config.eventId());
        answered[0] = true;
        if (slots.isEmpty()) slots = event.getSlotsList().stream().map(flashsale.v1.SlotStatus::getName).toList();
      } catch (FlashSaleException ignored) {
        // A region that is down shows up as errors in the run itself.
      }
    });
    if (!answered[0]) {
      log.warn("no region answered GetEvent for event={}: its requests carry no slots, so a reservation's are refused",
          config.eventId());
    }
  }

  /** A reservation request's acceptable slots, best first: 1 to 3 distinct ones, the same every run of a seed. */
  static List<String> slotsAsked(List<String> slots, long seed, int index) {
    if (slots.isEmpty()) return List.of();
    SplittableRandom random = new SplittableRandom(seed * 1_000_003L + index);
    List<String> shuffled = new ArrayList<>(slots);
    Collections.shuffle(shuffled, random);
    return List.copyOf(shuffled.subList(0, 1 + random.nextInt(Math.min(3, shuffled.size()))));
  }

  private void send(
      FlashSaleClient client,
      PlannedRequest p,
      List<String> asked,
      long sendMicros,
      long sendNanos,
      long delayMicros,
      Consumer<RequestRecord> sink) {
    String slotsAsked = String.join(";", asked);
    try {
      client
          .purchaseAsync(PurchaseRequest.newBuilder().setEventId(config.eventId()).setUserId(p.userId())
              .setRequestId(p.requestId()).setQuantity(1).addAllSlots(asked).build())
          .whenComplete(
              (result, failure) -> {
                long latencyMicros = (System.nanoTime() - sendNanos) / 1000;
                RequestRecord record;
                try {
                  record = failure == null
                      ? record(p, sendMicros, delayMicros, latencyMicros, result, slotsAsked)
                      : failed(p, sendMicros, delayMicros, latencyMicros, failure, slotsAsked);
                } catch (RuntimeException malformed) {
                  // e.g. a decision without a rank: record it as an error rather than never finishing.
                  record = failed(p, sendMicros, delayMicros, latencyMicros, malformed, slotsAsked);
                }
                finish(record, sink);
              });
    } catch (RuntimeException e) {
      // A call that cannot even start must still count, or the run would wait for it forever.
      finish(failed(p, sendMicros, delayMicros, (System.nanoTime() - sendNanos) / 1000, e, slotsAsked), sink);
    }
  }

  private void finish(RequestRecord record, Consumer<RequestRecord> sink) {
    if (record.outcome() == RecordOutcome.ERROR) {
      errors.incrementAndGet();
    }
    completed.incrementAndGet();
    sink.accept(record);
  }

  private static RequestRecord record(PlannedRequest p, long sendMicros, long delayMicros, long latencyMicros,
      PurchaseResult result, String slotsAsked) {
    return switch (result) {
      case PurchaseResult.Decided d -> {
        PurchaseDecision dec = d.decision();
        yield new RequestRecord(p.requestId(), p.userId(), p.region(), sendMicros, delayMicros,
            d.won() ? RecordOutcome.WON : RecordOutcome.LOST, dec.getRank(),
            ProtoTimes.micros(dec.getArrivalTime()), ProtoTimes.micros(dec.getDecideTime()), latencyMicros, "", 0,
            slotsAsked, d.won() ? dec.getSlot() : "");
      }
      case PurchaseResult.Pending pending ->
          new RequestRecord(p.requestId(), p.userId(), p.region(), sendMicros, delayMicros,
              RecordOutcome.PENDING, 0, pending.arrivalTime().map(ProtoTimes::micros).orElse(0L), 0,
              latencyMicros, "", 0, slotsAsked, "");
    };
  }

  private static RequestRecord failed(PlannedRequest p, long sendMicros, long delayMicros, long latencyMicros,
      Throwable failure, String slotsAsked) {
    String code = FlashSaleException.from(failure).code().name();
    return new RequestRecord(p.requestId(), p.userId(), p.region(), sendMicros, delayMicros,
        RecordOutcome.ERROR, 0, 0, 0, latencyMicros, code, 0, slotsAsked, "");
  }

  private static void parkUntil(long deadlineNanos) throws InterruptedException {
    long remaining;
    while ((remaining = deadlineNanos - System.nanoTime()) > 0) {
      LockSupport.parkNanos(remaining);
      if (Thread.interrupted()) {
        throw new InterruptedException("load run interrupted while waiting for the next due request");
      }
    }
  }
}
