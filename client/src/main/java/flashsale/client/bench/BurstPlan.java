package flashsale.client.bench;

import flashsale.shard.ShardHome;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A burst of single-unit purchases from several regions, the same for every mode. Each region
 * sends {@code perRegion} requests at uniform random offsets over {@code spreadMicros}, shifted
 * by that region's lead (a region with a larger lead sends earlier on average). Every user sends
 * once, from their SHARDED home region, so one plan is valid for all three modes.
 */
public record BurstPlan(List<Send> sends) {

  /** One purchase: when to send it, relative to the start of the burst. */
  public record Send(String requestId, String userId, String region, long offsetMicros) {}

  public BurstPlan {
    sends = List.copyOf(sends);
  }

  /**
   * @param leadMicros how much earlier than the others each region starts; absent means 0
   */
  public static BurstPlan of(String runId, List<String> regions, int perRegion, long spreadMicros,
      Map<String, Long> leadMicros, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    long maxLead = leadMicros.values().stream().mapToLong(Long::longValue).max().orElse(0);
    List<Send> sends = new ArrayList<>();
    int nextUser = 0;
    for (String region : regions) {
      long shift = maxLead - leadMicros.getOrDefault(region, 0L);
      for (int i = 0; i < perRegion; i++) {
        String user;
        do {
          user = String.format("user-%07d", nextUser++);
        } while (!ShardHome.of(user, regions).equals(region));
        sends.add(new Send(runId + "-" + region + "-" + i, user, region, shift + random.nextLong(spreadMicros)));
      }
    }
    sends.sort(Comparator.comparingLong(Send::offsetMicros));
    return new BurstPlan(sends);
  }
}
