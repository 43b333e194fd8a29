package flashsale.arbiter.core;

import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Plans one simulation run from its seed: 2–5 regions at random distances, one or two events
 * (the second added later and sold in a subset of regions), demand well above stock, heartbeats,
 * reconnects, leader restarts, retries of a purchase through another region, and at most one
 * clock-flag episode.
 *
 * <p>Each region of each event gets {@code stock} one-unit purchases from users who buy nothing
 * else. They can only lose to an empty stock, so every event with an unflagged region must sell
 * out: the run's no-undersell check.
 */
final class SimWorkload {

  private static final long SALE_MICROS = 50_000;

  private final SequencerSimulation sim;
  private final Random random;
  private int requestIds;

  SimWorkload(SequencerSimulation sim) {
    this.sim = sim;
    this.random = sim.random;
  }

  void plan() {
    int regionCount = 2 + random.nextInt(4);
    boolean flagEpisode = random.nextInt(4) == 0;
    sim.oracle = new SimOracle(sim.store, flagEpisode);
    for (int i = 0; i < regionCount; i++) addRegion("r" + i);
    List<String> names = sim.regions.stream().map(r -> r.name).toList();
    planEvent("e0", names, 0);
    if (random.nextBoolean()) {
      List<String> subset = new ArrayList<>(names);
      Collections.shuffle(subset, random);
      planEvent("e1", subset.subList(0, 1 + random.nextInt(regionCount)), random.nextLong(20_000));
    }
    for (SimRegion region : sim.regions) planFaults(region);
    if (random.nextInt(10) < 3) {
      for (int i = 0; i <= random.nextInt(2); i++) sim.scheduler.at(random.nextLong(SALE_MICROS + 10_000), sim::restartLeader);
    }
    if (flagEpisode) planFlagEpisode(sim.regions.get(random.nextInt(regionCount)));
  }

  private void addRegion(String name) {
    long distanceMicros = 50 + random.nextLong(30_000);
    SimLink uplink = new SimLink(sim.scheduler, random, distanceMicros, random.nextLong(3_000));
    SimLink downlink = new SimLink(sim.scheduler, random, distanceMicros, random.nextLong(3_000));
    SimRegion region = new SimRegion(name, sim.scheduler, uplink, downlink, sim, random.nextLong(-2_000, 2_001));
    sim.regions.add(region);
    region.connect();
    scheduleHeartbeats(region, 200 + random.nextLong(3_000));
  }

  private void scheduleHeartbeats(SimRegion region, long intervalMicros) {
    sim.scheduler.after(intervalMicros / 2 + random.nextLong(intervalMicros), () -> {
      region.heartbeat();
      scheduleHeartbeats(region, intervalMicros);
    });
  }

  private void planEvent(String eventId, List<String> regionNames, long addMicros) {
    long stock = 1 + random.nextInt(30);
    int perUserLimit = 1 + random.nextInt(3);
    EventSpec spec = new EventSpec(eventId, "item", stock, -1_000_000, 1L << 50, perUserLimit, List.copyOf(regionNames),
        SaleMode.GLOBAL_ORDER, random.nextLong());
    sim.events.add(spec);
    sim.scheduler.at(addMicros, () -> sim.addEvent(spec));
    int users = 2 + random.nextInt(12);
    long opensMicros = addMicros + 1_000;
    for (String name : regionNames) {
      SimRegion region = sim.region(name);
      for (int i = 0; i < stock; i++) buy(region, spec, new Purchase("solo-" + requestIds, 1), opensMicros);
      int crowd = random.nextInt((int) (2 * stock) + 5);
      for (int i = 0; i < crowd; i++) {
        Purchase purchase = new Purchase("user-" + random.nextInt(users), 1 + random.nextInt(3));
        String requestId = buy(region, spec, purchase, opensMicros);
        SimRegion other = sim.region(regionNames.get(random.nextInt(regionNames.size())));
        if (other != region && random.nextInt(20) == 0) {
          long retryMicros = opensMicros + random.nextLong(SALE_MICROS + 20_000);
          sim.oracle.retriedElsewhere(spec.eventId(), requestId);
          sim.purchaseLater(retryMicros, other, spec.eventId(), requestId, purchase.userId(), purchase.quantity());
        }
      }
    }
  }

  private record Purchase(String userId, int quantity) {}

  private String buy(SimRegion region, EventSpec spec, Purchase purchase, long opensMicros) {
    String requestId = "req-" + requestIds++;
    sim.purchaseLater(opensMicros + random.nextLong(SALE_MICROS), region, spec.eventId(), requestId,
        purchase.userId(), purchase.quantity());
    return requestId;
  }

  private void planFaults(SimRegion region) {
    for (int i = 0; i < random.nextInt(3); i++) {
      long offlineMicros = random.nextLong(5_000);
      sim.scheduler.at(random.nextLong(SALE_MICROS + 20_000), () -> sim.reconnect(region, offlineMicros));
    }
    if (random.nextInt(6) == 0) {
      // Silent past the region timeout (60 ms) or just short of it.
      long silentMicros = 40_000 + random.nextLong(80_000);
      sim.scheduler.at(random.nextLong(SALE_MICROS), () -> sim.partition(region, silentMicros));
    }
  }

  private void planFlagEpisode(SimRegion region) {
    sim.flaggedRegions.add(region.name);
    long fromMicros = random.nextLong(SALE_MICROS);
    sim.scheduler.at(fromMicros, () -> region.reportOffset(50_000));
    sim.scheduler.at(fromMicros + 1 + random.nextLong(20_000), () -> region.reportOffset(0));
  }
}
