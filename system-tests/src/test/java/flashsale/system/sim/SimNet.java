package flashsale.system.sim;

import flashsale.region.core.ArbiterStream;
import flashsale.region.core.ArbiterStream.End;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Consumer;

/**
 * The network between regions and arbiters. Each stream is a TCP connection: FIFO and lossless
 * both ways while it lives, each message after the link's delay plus jitter, so messages of
 * different streams (an old one and its replacement) reorder freely. A partition holds a
 * region's traffic until it heals (TCP retransmits); a broken or cancelled stream loses what is
 * still in flight, and each end hears of the break after its own delay.
 */
final class SimNet {
  private final SimScheduler scheduler;
  private final Random random;
  private final Map<String, Long> baseDelayMicros = new HashMap<>();
  private final Map<String, Long> jitterMicros = new HashMap<>();
  private final Map<String, Long> partitionedUntil = new HashMap<>();
  final List<Stream> streams = new ArrayList<>();
  long messages;

  SimNet(SimScheduler scheduler, Random random) {
    this.scheduler = scheduler;
    this.random = random;
  }

  void link(String region, long baseDelayMicros, long jitterMicros) {
    this.baseDelayMicros.put(region, baseDelayMicros);
    this.jitterMicros.put(region, jitterMicros);
  }

  /** The region's traffic is held until {@code untilMicros} (true time); streams stay open meanwhile. */
  void partition(String region, long untilMicros) {
    partitionedUntil.merge(region, untilMicros, Math::max);
  }

  boolean partitioned(String region) {
    return partitionedUntil.getOrDefault(region, 0L) > scheduler.nowMicros();
  }

  long deliveryMicros(String region, long notBeforeMicros) {
    long at = scheduler.nowMicros() + baseDelayMicros.get(region) + random.nextLong(jitterMicros.get(region) + 1);
    return Math.max(Math.max(at, notBeforeMicros), partitionedUntil.getOrDefault(region, 0L));
  }

  /** Opens a stream from {@code region} to {@code arbiter}; the arbiter learns of it with the first message. */
  Stream open(SimRegionNode region, SimArbiter arbiter, ArbiterStream<Down>.Inbound inbound) {
    Stream stream = new Stream(region, arbiter, inbound);
    streams.add(stream);
    return stream;
  }

  /**
   * A unary call from a region node to an arbiter (a shard report): the request arrives after the
   * link's delay, held by a partition like the streams' traffic, and is lost one time in fifty;
   * {@code handler} runs on the arbiter's loop and answers when it will; the answer comes back
   * after the link's delay. The caller hears exactly once, on its own loop: the answer, or empty
   * at its deadline or when the arbiter is down.
   */
  <R> void call(SimRegionNode region, SimArbiter arbiter, long deadlineMicros, Runnable lost,
      Consumer<Consumer<Optional<R>>> handler, Consumer<Optional<R>> reply) {
    boolean[] heard = {false};
    Consumer<Optional<R>> once = region.loop.ofThisProcess(answer -> { // the caller's process, not a later one
      if (heard[0]) return;
      heard[0] = true;
      reply.accept(answer);
    });
    region.loop.at(scheduler.nowMicros() + deadlineMicros, () -> once.accept(Optional.empty()));
    messages++;
    if (random.nextInt(50) == 0) {
      lost.run();
      return;
    }
    scheduler.at(deliveryMicros(region.name, 0), () -> {
      if (!arbiter.loop.up()) {
        region.loop.at(deliveryMicros(region.name, 0), () -> once.accept(Optional.empty())); // connection refused
        return;
      }
      arbiter.loop.execute(() -> handler.accept(answer -> {
        messages++;
        region.loop.at(deliveryMicros(region.name, 0), () -> once.accept(answer));
      }));
    });
  }

  /** Breaks every live stream of the region (a reset connection): both ends hear of it. */
  void breakStreams(String region, String why) {
    for (Stream s : List.copyOf(streams)) {
      if (s.region.name.equals(region)) s.broken(why);
    }
  }

  /** Breaks every live stream to the arbiter (its process died): the regions hear of it. */
  void breakStreamsTo(SimArbiter arbiter) {
    for (Stream s : List.copyOf(streams)) {
      if (s.arbiter == arbiter) s.broken("UNAVAILABLE: arbiter " + arbiter.name + " died");
    }
  }

  /** One region-arbiter stream. */
  final class Stream implements ArbiterStream.Stream {
    final SimRegionNode region;
    final SimArbiter arbiter;
    private final ArbiterStream<Down>.Inbound inbound;
    private boolean dead;
    private long upLastMicros;
    private long downLastMicros;
    /** The arbiter side's per-stream state; null until the first message arrives there. */
    SimArbiter.Session session;

    Stream(SimRegionNode region, SimArbiter arbiter, ArbiterStream<Down>.Inbound inbound) {
      this.region = region;
      this.arbiter = arbiter;
      this.inbound = inbound;
    }

    boolean dead() {
      return dead;
    }

    @Override
    public void send(ArbiterStream.Out message) {
      if (dead) return;
      messages++;
      upLastMicros = deliveryMicros(region.name, upLastMicros);
      scheduler.at(upLastMicros, () -> {
        if (dead) return;
        if (!arbiter.loop.up()) {
          refusedByDeadNode();
          return;
        }
        arbiter.loop.execute(() -> {
          if (!dead) arbiter.received(this, message);
        });
      });
    }

    /** The region ends the stream; the arbiter hears the cancellation after the link's delay. */
    @Override
    public void cancel(String why) {
      if (dead) return;
      dead = true;
      streams.remove(this);
      long at = deliveryMicros(region.name, upLastMicros);
      arbiter.loop.at(at, () -> arbiter.ended(this));
    }

    /** The arbiter sends down; a region that died meanwhile gets nothing. */
    void down(Down message) {
      if (dead) return;
      messages++;
      downLastMicros = deliveryMicros(region.name, downLastMicros);
      region.loop.at(downLastMicros, () -> {
        if (dead) return;
        switch (message) {
          case Down.Welcome w -> inbound.welcomed(w.arbiterId(), w.maxClockSkewMicros(), w.stampFloorMicros(),
              w.maxTicketAgeMicros());
          case Down.ClockReply r -> inbound.clockReply(r.originMicros(), r.receiveMicros(), r.transmitMicros());
          case Down.Members m -> inbound.regionMembers(m.nodeIds());
          default -> inbound.message(message);
        }
      });
    }

    /** The arbiter ends the stream with a status; the region hears it after the link's delay. */
    void endFromArbiter(End end) {
      if (dead) return;
      dead = true;
      streams.remove(this);
      region.loop.at(deliveryMicros(region.name, downLastMicros), () -> inbound.ended(end));
    }

    /** The connection resets: each end hears of it after its own delay. */
    void broken(String why) {
      if (dead) return;
      dead = true;
      streams.remove(this);
      region.loop.at(deliveryMicros(region.name, downLastMicros), () -> inbound.ended(End.failed(why)));
      arbiter.loop.at(deliveryMicros(region.name, upLastMicros), () -> arbiter.ended(this));
    }

    private void refusedByDeadNode() {
      dead = true;
      streams.remove(this);
      region.loop.at(deliveryMicros(region.name, 0), () -> inbound.ended(End.failed("UNAVAILABLE: connection refused")));
    }
  }
}
