package flashsale.arbiter.grpc;

import flashsale.arbiter.core.RegionNodeStatus;
import flashsale.v1.RegionStatus;
import flashsale.wire.Times;

/** Sequencer region records to their wire form. */
final class RegionStatuses {
  private RegionStatuses() {}

  static RegionStatus toProto(RegionNodeStatus r) {
    var b =
        RegionStatus.newBuilder()
            .setRegion(r.region())
            .setNodeId(r.node())
            .setConnected(r.connected())
            .setClockFlagged(r.clockFlagged())
            .setTimedOut(r.timedOut())
            .setTimeouts(r.timeouts());
    r.watermarkMicros().ifPresent(w -> b.setWatermarkTime(Times.timestamp(w)));
    r.clockOffsetMicros().ifPresent(o -> b.setClockOffset(Times.duration(o)));
    r.clockRoundTripMicros().ifPresent(o -> b.setClockRoundTrip(Times.duration(o)));
    return b.build();
  }
}
