package flashsale.arbiter.cluster;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.grpc.EventAdminGrpcService;
import flashsale.arbiter.grpc.EventRegistry;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.sale.EventSpec;
import flashsale.store.ArbiterStore;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches a node between leader and standby. Elected: a fresh sequencer for the term, then every
 * stored event claimed under the term's epoch and rebuilt from its ledger (stock, per-user
 * counts, decided ids and order), and only then the gate opens to regions and operators. Deposed:
 * the gate closes first, region streams end with NOT_LEADER naming the leader, and the term's
 * sequencer with everything it had not persisted is dropped.
 */
public final class LeaderRole implements Leadership.Listener {
  private static final Logger log = LoggerFactory.getLogger(LeaderRole.class);

  private final ArbiterStore store;
  private final SequencerLoop loop;
  private final RegionSessions sessions;
  private final EventRegistry events;
  private final EventAdminGrpcService admin;
  private final LeaderGate gate;
  private final Supplier<Sequencer> sequencers;

  public LeaderRole(ArbiterStore store, SequencerLoop loop, RegionSessions sessions, EventRegistry events,
      EventAdminGrpcService admin, LeaderGate gate, Supplier<Sequencer> sequencers) {
    this.store = store;
    this.loop = loop;
    this.sessions = sessions;
    this.events = events;
    this.admin = admin;
    this.gate = gate;
    this.sequencers = sequencers;
  }

  @Override
  public void elected(long epoch) {
    long startNanos = System.nanoTime();
    loop.lead(sequencers.get(), epoch).join();
    int count = 0;
    for (EventSpec spec : store.listEvents()) {
      // Claim before reading: once fenced, no earlier leader can add to the ledger we rebuild from.
      store.fenceEvent(spec.eventId(), epoch);
      admin.register(spec).join();
      count++;
    }
    gate.open();
    log.info("leading epoch={} events={} rebuildMs={}", epoch, count, (System.nanoTime() - startNanos) / 1_000_000);
  }

  @Override
  public void deposed(String why, String leaderAddress) {
    gate.close();
    loop.execute(() -> sessions.closeAll(LeaderGate.notLeader(leaderAddress)));
    loop.standBy().join();
    events.clear();
    log.warn("standing by: {}", why);
  }
}
