package flashsale.arbiter.cluster;

import flashsale.arbiter.core.Sequencer;
import flashsale.arbiter.grpc.EventAdminGrpcService;
import flashsale.arbiter.grpc.EventRegistry;
import flashsale.arbiter.grpc.RegionSessions;
import flashsale.arbiter.grpc.SequencerLoop;
import flashsale.store.ArbiterStore;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches a node between leader and standby. Elected: the {@link Takeover} loads the live events
 * on its own thread and only then opens the gate to regions and operators. Deposed:
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
  private final Takeover takeover;

  public LeaderRole(ArbiterStore store, SequencerLoop loop, RegionSessions sessions, EventRegistry events,
      EventAdminGrpcService admin, LeaderGate gate, Supplier<Sequencer> sequencers, Takeover takeover) {
    this.takeover = takeover;
    this.store = store;
    this.loop = loop;
    this.sessions = sessions;
    this.events = events;
    this.admin = admin;
    this.gate = gate;
    this.sequencers = sequencers;
  }

  /** Recovery runs on the takeover's own thread: this (the lease thread) returns at once and keeps renewing. */
  @Override
  public void elected(long epoch) {
    takeover.begin(epoch);
  }

  @Override
  public void deposed(String why, String leaderAddress) {
    takeover.end();
    gate.close();
    loop.execute(() -> sessions.closeAll(LeaderGate.notLeader(leaderAddress)));
    loop.standBy().join();
    events.clear();
    log.warn("standing by: {}", why);
  }
}
