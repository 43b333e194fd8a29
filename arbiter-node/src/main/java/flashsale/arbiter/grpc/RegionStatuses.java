package flashsale.arbiter.grpc;

import flashsale.arbiter.core.RegionStatus;
import flashsale.wire.Times;

/** Sequencer region records to their wire form. */
final class RegionStatuses {
  private RegionStatuses() {}

  static flashsale.v1.RegionStatus toProto(RegionStatus r) {
    var b =
        flashsale.v1.RegionStatus.newBuilder()
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
