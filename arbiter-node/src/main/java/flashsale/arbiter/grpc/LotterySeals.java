package flashsale.arbiter.grpc;

import flashsale.sale.EventSpec;
import flashsale.sale.NearTieLottery;
import flashsale.v1.LotterySeal;

/**
 * The near-tie lottery's seed as the admin API shows it: committed always, revealed once nothing
 * stamped inside the event can be ranked any more (its end; a soft-close auction's end plus the
 * cap, since bids count until then): whoever knew the draws earlier could time a bid to win a tie.
 */
final class LotterySeals {
  private LotterySeals() {}

  static LotterySeal of(EventSpec spec, long nowMicros) {
    LotterySeal.Builder seal = LotterySeal.newBuilder()
        .setCommitmentSha256(NearTieLottery.commitment(spec.eventId(), spec.tieBreakSeed()));
    if (nowMicros >= spec.latestCloseMicros()) seal.setSeed(NearTieLottery.seedHex(spec.tieBreakSeed()));
    return seal.build();
  }
}
