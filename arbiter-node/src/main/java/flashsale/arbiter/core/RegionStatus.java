package flashsale.arbiter.core;

import java.util.OptionalLong;

/**
 * One region as the sequencer sees it.
 *
 * @param watermarkMicros latest watermark (or ticket stamp), empty before the region spoke
 * @param clockOffsetMicros region clock minus arbiter clock, as last reported
 */
public record RegionStatus(
    String region,
    boolean connected,
    OptionalLong watermarkMicros,
    OptionalLong clockOffsetMicros,
    OptionalLong clockRoundTripMicros,
    boolean clockFlagged) {}
