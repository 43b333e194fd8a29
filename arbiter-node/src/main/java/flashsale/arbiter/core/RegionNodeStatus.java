package flashsale.arbiter.core;

import java.util.OptionalLong;

/**
 * One region node as the sequencer sees it.
 *
 * @param node the node id; empty for the region's unnamed node
 * @param watermarkMicros latest watermark (or ticket stamp), empty before the region spoke
 * @param clockOffsetMicros region clock minus arbiter clock, as last reported
 * @param timedOut silent past the region timeout: left out of frontiers until it speaks again
 * @param timeouts how often the region has timed out since this arbiter learned of it
 */
public record RegionNodeStatus(
    String region,
    String node,
    boolean connected,
    OptionalLong watermarkMicros,
    OptionalLong clockOffsetMicros,
    OptionalLong clockRoundTripMicros,
    boolean clockFlagged,
    boolean timedOut,
    long timeouts) {}
