package flashsale.system.sim;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.shard.EventAccount;
import flashsale.shard.ShardBalancer;
import flashsale.shard.ShardBalancer.Effect;
import flashsale.shard.ShardDemand;
import flashsale.store.ArbiterStore;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;

/**
 * The arbiter's side of SHARDED mode on a simulated arbiter node: the production {@link
 * ShardBalancer}, carried out as {@code ShardCoordinator} carries it out, written again for the
 * simulated stores: shard reads and transfer steps at the regions' {@link SimShardStore}s, each a
 * WAN hop away and possibly lost, answers to reports back over {@link SimNet}. Reports pass the
 * leader gate, as {@code ShardGrpcService}'s calls do; the ticks run whether or not it leads, as
 * production's do. One per process incarnation: a crash loses every round under way.
 */
final class SimShardCoordinator {
  /** A report's answer: the units the whole event has left (0: sold out everywhere); empty for an error status. */
  interface Reply extends Consumer<OptionalLong> {}

  private final SimArbiter arbiter;
  private final SimShards shards;
  private final ArbiterStore store;
  private final ShardBalancer<Reply> balancer;
  private boolean ticking;

  /** @param instanceId unique to this process: its transfer ids are never any other's */
  SimShardCoordinator(SimArbiter arbiter, SimShards shards, ArbiterStore store, String instanceId) {
    this.arbiter = arbiter;
    this.shards = shards;
    this.store = store;
    this.balancer = new ShardBalancer<>(shards.horizonMicros, shards.staleReportMicros, instanceId);
  }

  /** {@code ShardGrpcService.reportShard}, behind the leader gate. */
  void report(String eventId, ShardDemand demand, Reply reply) {
    if (!arbiter.admitting()) {
      shards.oracle.count("shard reports refused (not leading)");
      reply.accept(OptionalLong.empty());
      return;
    }
    Optional<EventSpec> spec = store.findEvent(eventId)
        .filter(s -> s.mode() == SaleMode.SHARDED && s.regions().contains(demand.region()));
    if (spec.isEmpty()) {
      reply.accept(OptionalLong.empty());
      return;
    }
    if (!ticking) { // production's ticks run from the start
      ticking = true;
      arbiter.loop.every(() -> carryOut(balancer.tick(nowMicros())), shards.tickMs);
    }
    Reply checked = unsold -> {
      unsold.ifPresent(units -> shards.oracle.unsoldTold(arbiter.name, eventId, units));
      reply.accept(unsold);
    };
    carryOut(balancer.report(spec.get(), demand, checked, nowMicros()));
  }

  private void carryOut(List<Effect<Reply>> effects) {
    for (Effect<Reply> effect : effects) {
      switch (effect) {
        case Effect.Read<Reply> r -> at(r.region(), () -> shards.store(r.region()).memory.shard(r.spec(), r.region()).snapshot(),
            snapshot -> carryOut(balancer.read(r, snapshot, nowMicros())));
        case Effect.Debit<Reply> d -> at(d.plan().source(), () -> shards.store(d.plan().source()).memory
            .shard(d.spec(), d.plan().source()).debit(d.transferId(), d.plan().units(), d.plan().target()), result -> {
              result.ifPresent(r -> shards.oracle.count("shard transfers " + r));
              carryOut(balancer.debited(d, result));
            });
        case Effect.Credit<Reply> c -> at(c.target(), () -> shards.store(c.target()).memory.shard(c.spec(), c.target())
            .credit(c.transferId(), c.units()), added -> {
              if (c.recovery() && added.isPresent()) shards.oracle.count("half-done shard transfers completed");
              carryOut(balancer.credited(c, added.isPresent()));
            });
        case Effect.Settle<Reply> s -> at(s.source(), () -> {
          shards.store(s.source()).memory.shard(s.spec(), s.source()).settle(s.transferId());
          return true;
        }, done -> carryOut(balancer.settled(s, done.isPresent())));
        case Effect.ForgetCredit<Reply> f -> at(f.target(), () -> {
          shards.store(f.target()).memory.shard(f.spec(), f.target()).forgetCredit(f.transferId());
          return true;
        }, done -> {
          done.ifPresent(d -> shards.oracle.count("shard credits forgotten"));
          carryOut(balancer.forgotten(f, done.isPresent()));
        });
        case Effect.Answer<Reply> a -> a.handle().accept(a.account()
            .map(account -> OptionalLong.of(account.unsoldUnits())).orElse(OptionalLong.empty()));
        case Effect.RoundFailed<Reply> f -> shards.oracle.count("shard rounds ended early: " + f.cause());
      }
    }
  }

  private <T> void at(String region, java.util.function.Supplier<T> op, Consumer<Optional<T>> reply) {
    shards.store(region).call(arbiter.loop, shards.wanMicros(region), op, reply);
  }

  private long nowMicros() {
    return arbiter.clock.nowMicros();
  }
}
