package flashsale.arbiter.grpc;

import flashsale.sale.EventSpec;
import flashsale.sale.NearTieLottery;
import flashsale.v1.LotterySeal;

/** The near-tie lottery's seed as the admin API shows it: committed always, revealed once the event has ended. */
final class LotterySeals {
  private LotterySeals() {}

  static LotterySeal of(EventSpec spec, long nowMicros) {
    LotterySeal.Builder seal = LotterySeal.newBuilder()
        .setCommitmentSha256(NearTieLottery.commitment(spec.eventId(), spec.tieBreakSeed()));
    if (nowMicros >= spec.endMicros()) seal.setSeed(NearTieLottery.seedHex(spec.tieBreakSeed()));
    return seal.build();
  }
}
