package flashsale.shard;

import flashsale.sale.EventSpec;
import flashsale.shard.ShardBackend.DebitResult;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The arbiter's side of SHARDED mode, as a pure core: keeps each event's latest shard reports and
 * runs rounds that read every shard, complete half-done transfers, plan with the {@link
 * Rebalancer} and move stock with the four transfer steps ({@link TransferSteps}); each report is
 * answered with the event's account as last read, which says when every shard is empty (sold out
 * everywhere).
 *
 * <p>A round is one event's store calls in order: a read of every shard; the transfers those
 * reads show half done, completed (credit, settle; or forget a credit whose transfer was settled)
 * and the shards read again; then, once, the planned transfers (debit, credit, settle) and a last
 * read; the credits that read shows settled are forgotten as the round ends, after its answers. Only a read that adds up to the
 * stock becomes the account: two reads of a moving transfer never do, so a stale mix of reads (a
 * second coordinator at work) cannot pass for "sold out". With a shard lost (its store lost it)
 * the others cannot add up to the stock; their read becomes the account only once a second read of
 * every one of them shows the same transfers and the same units (sales aside), and no credit is
 * forgotten (it may be the lost shard's, whose record comes back with it). A store call that
 * fails ends the round; the next one completes whatever it left half done, since every step is
 * idempotent by transfer id.
 *
 * <p>It returns {@link Effect}s for the adapter to carry out and reads time only as the {@code
 * nowMicros} it is given. Transfer ids are {@code <event>/<instanceId>-<n>}: the adapter gives an
 * id no other coordinator, before or after, ever uses, since a reused id would credit stock twice.
 *
 * @param <H> the adapter's handle for a report waiting for its answer; opaque here
 */
public final class ShardBalancer<H> {
  /** Read passes a round makes at most, so a store that keeps changing under it cannot hold it forever. */
  private static final int MAX_READ_PASSES = 4;

  /** What the adapter does next. */
  public sealed interface Effect<H> {
    /** Read the shard's snapshot at {@code region}'s store; give it to {@link #read}. */
    record Read<H>(EventSpec spec, String region, long round) implements Effect<H> {}

    /** Step 1 at {@code plan.source()}; give the result to {@link #debited}. */
    record Debit<H>(EventSpec spec, TransferPlan plan, String transferId, long round) implements Effect<H> {}

    /**
     * Step 2 at {@code target}; give the result to {@link #credited}. {@code recovery}: it completes
     * a transfer an earlier round (or coordinator) left half done.
     */
    record Credit<H>(EventSpec spec, String target, String transferId, long units, boolean recovery, long round)
        implements Effect<H> {}

    /** Step 3 at {@code source}; tell {@link #settled} when done. */
    record Settle<H>(EventSpec spec, String source, String transferId, long round) implements Effect<H> {}

    /** Step 4 at {@code target}; tell {@link #forgotten} when done. */
    record ForgetCredit<H>(EventSpec spec, String target, String transferId, long round) implements Effect<H> {}

    /** Answer a report: the event's account as last read; empty when none was ever read. */
    record Answer<H>(H handle, Optional<EventAccount> account) implements Effect<H> {}

    /** A round ended early, its work left for the next one (for the log). */
    record RoundFailed<H>(String eventId, Cause cause, String why) implements Effect<H> {}
  }

  /** Why a round ended early. */
  public enum Cause {
    /** A store call was not answered (it may or may not have happened). */
    STORE_UNANSWERED,
    /** The shards' reads do not add up to the stock: a transfer moved between them. */
    TORN_READ,
    /** Half-done transfers kept appearing, read after read. */
    STILL_CHANGING,
    /** Every shard of the event was lost by its store: nothing to rebalance. */
    ALL_SHARDS_LOST
  }

  private final Rebalancer rebalancer;
  private final long staleAfterMicros;
  private final String instanceId;
  private final Map<String, Event> events = new LinkedHashMap<>();
  /** Each tracked event's account as last read; let go with the event (a later report reads again). */
  private final Map<String, EventAccount> accounts = new HashMap<>();
  private long rounds;
  private long transfers;

  /**
   * @param horizonMicros how far ahead the rebalancer projects demand
   * @param staleAfterMicros a report older than this no longer counts as demand, nor keeps the event active
   * @param instanceId unique to this coordinator among all that ever touch the same shards
   */
  public ShardBalancer(long horizonMicros, long staleAfterMicros, String instanceId) {
    if (staleAfterMicros < 1) throw new IllegalArgumentException("stale after " + staleAfterMicros + " us < 1");
    if (instanceId.isEmpty()) throw new IllegalArgumentException("empty instance id");
    this.rebalancer = new Rebalancer(horizonMicros);
    this.staleAfterMicros = staleAfterMicros;
    this.instanceId = instanceId;
  }

  /**
   * A region reports its shard of {@code spec} (a SHARDED event whose every shard the adapter can
   * reach). A borrow (held purchases), or an event with no account yet, is answered once a round
   * has read the shards after it; any other report at once.
   */
  public List<Effect<H>> report(EventSpec spec, ShardDemand demand, H handle, long nowMicros) {
    return report(spec, "", demand, handle, nowMicros);
  }

  /** As above, from node {@code nodeId} of the region: a region's nodes' reports add up, not overwrite. */
  public List<Effect<H>> report(EventSpec spec, String nodeId, ShardDemand demand, H handle, long nowMicros) {
    if (!spec.regions().contains(demand.region())) {
      throw new IllegalArgumentException("region " + demand.region() + " reports on " + spec.eventId() + " of " + spec.regions());
    }
    Event event = events.computeIfAbsent(spec.eventId(), id -> new Event(spec, new ShardReports(staleAfterMicros)));
    event.reports.report(nodeId, demand, nowMicros);
    List<Effect<H>> effects = new ArrayList<>();
    if (demand.waitingUnits() == 0 && accounts.containsKey(spec.eventId())) {
      effects.add(new Effect.Answer<>(handle, account(spec.eventId())));
      return effects;
    }
    event.nextAnswers.add(handle);
    if (event.round == null) start(event, effects);
    return effects;
  }

  /**
   * The periodic tick: events whose reports all went stale are let go with their accounts (else
   * one would stay for every event ever reported); every other idle one runs a round.
   */
  public List<Effect<H>> tick(long nowMicros) {
    List<Effect<H>> effects = new ArrayList<>();
    events.values().removeIf(e -> {
      boolean stale = e.round == null && e.nextAnswers.isEmpty() && !e.reports.active(nowMicros);
      if (stale) accounts.remove(e.spec.eventId());
      return stale;
    });
    for (Event event : List.copyOf(events.values())) {
      if (event.round == null) start(event, effects);
    }
    return effects;
  }

  /** A {@link Effect.Read} came back: the snapshot, or empty when the store did not answer. */
  public List<Effect<H>> read(Effect.Read<H> read, Optional<ShardSnapshot> snapshot, long nowMicros) {
    List<Effect<H>> effects = new ArrayList<>();
    Event event = current(read.spec().eventId(), read.round());
    if (event == null) return effects; // a round that already ended
    if (snapshot.isEmpty()) {
      fail(event, Cause.STORE_UNANSWERED, "shard " + read.region() + " did not answer a read", effects);
    } else if (!snapshot.get().region().equals(read.region())) {
      throw new IllegalStateException("read of " + read.region() + " answered for " + snapshot.get().region());
    } else {
      event.round.snapshots.put(read.region(), snapshot.get());
      if (event.round.snapshots.size() + event.round.lost.size() == event.spec.regions().size()) {
        allRead(event, nowMicros, effects);
      }
    }
    return effects;
  }

  /**
   * A {@link Effect.Read} found the shard lost by its store (its pool is gone, or marked lost): this
   * round moves nothing to or from it, and goes on among the event's other shards. Every round
   * reads it again, so a shard an operator restores is taken back. The others' account no longer
   * adds up to the stock (the lost shard's units are neither for sale nor sold): it is taken only
   * once a second read of each shows it unchanged.
   */
  public List<Effect<H>> readLost(Effect.Read<H> read, long nowMicros) {
    List<Effect<H>> effects = new ArrayList<>();
    Event event = current(read.spec().eventId(), read.round());
    if (event == null) return effects;
    event.round.lost.add(read.region());
    if (event.round.lost.size() == event.spec.regions().size()) {
      fail(event, Cause.ALL_SHARDS_LOST, "every shard of the event was lost by its store", effects);
    } else if (event.round.snapshots.size() + event.round.lost.size() == event.spec.regions().size()) {
      allRead(event, nowMicros, effects);
    }
    return effects;
  }

  /** Step 1 came back: its result, or empty when the store did not answer (it may have debited). */
  public List<Effect<H>> debited(Effect.Debit<H> debit, Optional<DebitResult> result) {
    List<Effect<H>> effects = new ArrayList<>();
    Event event = current(debit.spec().eventId(), debit.round());
    if (event == null) return effects;
    Move move = requireMoving(event.round, debit.transferId());
    if (result.isEmpty()) {
      fail(event, Cause.STORE_UNANSWERED, "debit " + move + " not answered", effects);
    } else if (result.get() == DebitResult.SHORT) {
      nextMove(event, effects); // the source sold the units meanwhile: nothing moved
    } else {
      effects.add(new Effect.Credit<>(event.spec, move.target(), move.transferId(), move.units(), false, event.round.id));
    }
    return effects;
  }

  /** Step 2 came back: true when the store answered (whether or not it added the units now). */
  public List<Effect<H>> credited(Effect.Credit<H> credit, boolean answered) {
    List<Effect<H>> effects = new ArrayList<>();
    Event event = current(credit.spec().eventId(), credit.round());
    if (event == null) return effects;
    Move move = requireMoving(event.round, credit.transferId());
    if (!answered) {
      fail(event, Cause.STORE_UNANSWERED, "credit " + move + " not answered", effects);
    } else {
      effects.add(new Effect.Settle<>(event.spec, move.source(), move.transferId(), event.round.id));
    }
    return effects;
  }

  /** Step 3 came back: true when the store answered. */
  public List<Effect<H>> settled(Effect.Settle<H> settle, boolean answered) {
    List<Effect<H>> effects = new ArrayList<>();
    Event event = current(settle.spec().eventId(), settle.round());
    if (event == null) return effects;
    Move move = requireMoving(event.round, settle.transferId());
    if (!answered) {
      fail(event, Cause.STORE_UNANSWERED, "settle " + move + " not answered", effects);
    } else {
      nextMove(event, effects); // its credit is forgotten once the round's last read shows it settled
    }
    return effects;
  }

  /** Step 4 came back: true when the store answered. Nothing follows one sent as its round ended. */
  public List<Effect<H>> forgotten(Effect.ForgetCredit<H> forget, boolean answered) {
    List<Effect<H>> effects = new ArrayList<>();
    Event event = current(forget.spec().eventId(), forget.round());
    if (event == null) return effects;
    Move move = requireMoving(event.round, forget.transferId());
    if (!answered) {
      fail(event, Cause.STORE_UNANSWERED, "forgetting the credit of " + move + " not answered", effects);
    } else {
      nextMove(event, effects);
    }
    return effects;
  }

  /** The event's account as last read, if any. */
  public Optional<EventAccount> account(String eventId) {
    return Optional.ofNullable(accounts.get(eventId));
  }

  /** Events with fresh reports or a round under way. */
  public int activeEvents() {
    return events.size();
  }

  /** Accounts kept: at most one per event tracked. */
  int accountsKept() {
    return accounts.size();
  }

  // ---- rounds ----

  /** One event's reports and its round. */
  private final class Event {
    final EventSpec spec;
    final ShardReports reports;
    /** Reports answered when the next round to start ends. */
    List<H> nextAnswers = new ArrayList<>();
    Round round;

    Event(EventSpec spec, ShardReports reports) {
      this.spec = spec;
      this.reports = reports;
    }
  }

  /** Where a transfer a round runs starts: what a read showed of it decides which steps are left. */
  private enum Stage {
    /** Planned this round: debit, credit, settle (the credit forgotten as the round ends). */
    PLANNED,
    /** Debited, not settled: credit (a no-op if done), settle (the credit forgotten as the round ends). */
    DEBITED,
    /** Settled, its credit still shown at the target: forget. */
    SETTLED
  }

  /** One transfer a round runs, from its {@link Stage}. */
  private record Move(String transferId, String source, String target, long units, Stage stage) {}

  /** One round of one event's store calls. */
  private final class Round {
    final long id = ++rounds;
    final List<H> answers;
    final Map<String, ShardSnapshot> snapshots = new LinkedHashMap<>();
    /** Shards the last read found lost by their stores ({@link #readLost}): nothing moves to or from them. */
    final Set<String> lost = new HashSet<>();
    /** With a shard lost: the previous read, which this one must match to be taken (see {@link #unchanged}). */
    Map<String, ShardSnapshot> toConfirm;
    /** Moves still to run, in order, after the one under way. */
    final List<Move> moves = new ArrayList<>();
    /** The move whose steps are under way. */
    Move moving;
    /** Credits the last read showed settled, forgotten as the round ends (their replies are not waited for). */
    List<Move> trailingForgets = List.of();
    int readPasses;
    boolean planned;

    Round(List<H> answers) {
      this.answers = answers;
    }
  }

  /** The event, if {@code roundId} is its round under way; null for a reply to a round that ended. */
  private Event current(String eventId, long roundId) {
    Event event = events.get(eventId);
    return event == null || event.round == null || event.round.id != roundId ? null : event;
  }

  private void start(Event event, List<Effect<H>> effects) {
    event.round = new Round(event.nextAnswers);
    event.nextAnswers = new ArrayList<>();
    readAll(event, effects);
  }

  private void readAll(Event event, List<Effect<H>> effects) {
    Round round = event.round;
    round.readPasses++;
    round.snapshots.clear();
    round.lost.clear();
    for (String region : event.spec.regions()) effects.add(new Effect.Read<>(event.spec, region, round.id));
  }

  /**
   * Every shard read: a conserved read becomes the account; then half-done transfers are
   * completed, or (once per round) the planned transfers made, or the round ends.
   */
  private void allRead(Event event, long nowMicros, List<Effect<H>> effects) {
    Round round = event.round;
    if (!round.lost.isEmpty() && !unchanged(round)) {
      // Without the lost shard nothing adds up to the stock to tell a torn read: read again, and
      // take the account only if nothing moved between the two reads.
      if (round.readPasses >= maxReadPasses(round)) {
        fail(event, Cause.STILL_CHANGING, "shards still changing after " + round.readPasses + " reads", effects);
        return;
      }
      round.toConfirm = Map.copyOf(round.snapshots);
      readAll(event, effects);
      return;
    }
    round.toConfirm = null;
    EventAccount account = EventAccount.of(round.snapshots.values().stream()
        .map(snapshot -> withoutTransfersTo(round.lost, snapshot)).toList());
    long accounted = account.remainingUnits() + account.soldUnits() + account.inFlightUnits();
    if (round.lost.isEmpty() ? accounted != event.spec.stock() : accounted > event.spec.stock()) {
      // Shards read while a transfer moved (another coordinator's): not a picture of any one moment.
      fail(event, Cause.TORN_READ, "reads do not add up to the stock " + event.spec.stock() + ": " + account, effects);
      return;
    }
    accounts.put(event.spec.eventId(), account);
    Set<String> pending = new HashSet<>();
    for (ShardSnapshot s : round.snapshots.values()) {
      for (TransferRecord t : s.pendingOutgoing()) {
        pending.add(t.transferId());
        // Towards a lost shard a credit cannot land: its units stay debited, neither sold nor for sale.
        if (round.lost.contains(t.target())) continue;
        round.moves.add(new Move(t.transferId(), t.source(), t.target(), t.units(), Stage.DEBITED));
      }
    }
    List<Move> settledCredits = new ArrayList<>();
    // With a shard lost, a credit whose record no read shows may be the lost shard's transfer, still
    // pending there: forgotten now, its return would count those units twice (in flight and
    // credited) and no read would add up again. Credits are forgotten only once every shard reads.
    for (ShardSnapshot s : round.lost.isEmpty() ? round.snapshots.values() : List.<ShardSnapshot>of()) {
      for (String credited : s.credited()) {
        if (!pending.contains(credited)) settledCredits.add(new Move(credited, "", s.region(), 0, Stage.SETTLED));
      }
    }
    // Before planning, left-over credits are forgotten first; after it (the credits of this
    // round's own transfers), once the reports are answered, so forgetting never delays a borrow.
    if (round.planned) round.trailingForgets = settledCredits; else round.moves.addAll(settledCredits);
    if (round.moves.isEmpty() && !round.planned) {
      round.planned = true;
      for (TransferPlan plan : rebalancer.plan(demands(event, nowMicros), Set.of())) {
        String transferId = event.spec.eventId() + "/" + instanceId + "-" + ++transfers;
        round.moves.add(new Move(transferId, plan.source(), plan.target(), plan.units(), Stage.PLANNED));
      }
    }
    if (round.moves.isEmpty()) {
      end(event, effects);
    } else if (round.readPasses >= maxReadPasses(round)) {
      fail(event, Cause.STILL_CHANGING, "shards still changing after " + round.readPasses + " reads", effects);
    } else {
      nextMove(event, effects);
    }
  }

  /** Reads a round may take; twice as many with a shard lost, each read confirmed by another. */
  private int maxReadPasses(Round round) {
    return round.lost.isEmpty() ? MAX_READ_PASSES : 2 * MAX_READ_PASSES;
  }

  /**
   * With a shard lost: whether this read of the others shows what the previous one did, sales
   * aside (a sale moves units from remaining to sold; a transfer changes their sum, its records or
   * the credited ids). A transfer moving between two reads of different shards shows in one of them.
   */
  private boolean unchanged(Round round) {
    Map<String, ShardSnapshot> before = round.toConfirm;
    if (before == null || !before.keySet().equals(round.snapshots.keySet())) return false;
    for (ShardSnapshot now : round.snapshots.values()) {
      ShardSnapshot then = before.get(now.region());
      if (then.remainingUnits() + then.soldUnits() != now.remainingUnits() + now.soldUnits()
          || !then.outgoing().equals(now.outgoing()) || !then.credited().equals(now.credited())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The snapshot without its transfers towards lost shards: their units will never land, so they
   * are neither for sale nor sold, and a region waiting for them would wait for nothing.
   */
  private static ShardSnapshot withoutTransfersTo(Set<String> lostRegions, ShardSnapshot snapshot) {
    if (lostRegions.isEmpty()) return snapshot;
    return new ShardSnapshot(snapshot.region(), snapshot.remainingUnits(), snapshot.soldUnits(),
        snapshot.outgoing().stream().filter(t -> !lostRegions.contains(t.target())).toList(), snapshot.credited());
  }

  private List<ShardDemand> demands(Event event, long nowMicros) {
    Map<String, Long> remaining = new LinkedHashMap<>();
    event.round.snapshots.forEach((region, s) -> remaining.put(region, s.remainingUnits()));
    return event.reports.demands(remaining, nowMicros);
  }

  /** The next move's first step, or, when none is left, the shards read again. */
  private void nextMove(Event event, List<Effect<H>> effects) {
    Round round = event.round;
    if (round.moves.isEmpty()) {
      round.moving = null;
      readAll(event, effects);
      return;
    }
    Move move = round.moves.removeFirst();
    round.moving = move;
    switch (move.stage()) {
      case PLANNED -> effects.add(new Effect.Debit<>(event.spec, new TransferPlan(move.source(), move.target(), move.units()),
          move.transferId(), round.id));
      case DEBITED -> effects.add(new Effect.Credit<>(event.spec, move.target(), move.transferId(), move.units(), true,
          round.id));
      case SETTLED -> effects.add(new Effect.ForgetCredit<>(event.spec, move.target(), move.transferId(), round.id));
    }
  }

  private Move requireMoving(Round round, String transferId) {
    if (round.moving == null || !round.moving.transferId().equals(transferId)) {
      throw new IllegalStateException("step of transfer " + transferId + " while " + round.moving + " is under way");
    }
    return round.moving;
  }

  private void end(Event event, List<Effect<H>> effects) {
    Round round = event.round;
    event.round = null;
    for (H handle : round.answers) effects.add(new Effect.Answer<>(handle, account(event.spec.eventId())));
    for (Move m : round.trailingForgets) {
      effects.add(new Effect.ForgetCredit<>(event.spec, m.target(), m.transferId(), round.id)); // a lost one: the next round's
    }
    if (!event.nextAnswers.isEmpty()) start(event, effects); // borrows that came during this round
  }

  /** The round ends early: every report waiting gets the account as last read, and the next tick tries again. */
  private void fail(Event event, Cause cause, String why, List<Effect<H>> effects) {
    Round round = event.round;
    event.round = null;
    effects.add(new Effect.RoundFailed<>(event.spec.eventId(), cause, why));
    List<H> waiting = new ArrayList<>(round.answers);
    waiting.addAll(event.nextAnswers);
    event.nextAnswers = new ArrayList<>();
    for (H handle : waiting) effects.add(new Effect.Answer<>(handle, account(event.spec.eventId())));
  }
}
