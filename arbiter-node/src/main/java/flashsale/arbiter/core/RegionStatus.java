package flashsale.arbiter.core;

import java.util.OptionalLong;

/**
 * One region as the sequencer sees it.
 *
 * @param watermarkMicros latest watermark (or ticket stamp), empty before the region spoke
 * @param clockOffsetMicros region clock minus arbiter clock, as last reported
 * @param timedOut silent past the region timeout: left out of frontiers until it speaks again
 * @param timeouts how often the region has timed out since this arbiter learned of it
 */
public record RegionStatus(
    String region,
    boolean connected,
    OptionalLong watermarkMicros,
    OptionalLong clockOffsetMicros,
    OptionalLong clockRoundTripMicros,
    boolean clockFlagged,
    boolean timedOut,
    long timeouts) {}
