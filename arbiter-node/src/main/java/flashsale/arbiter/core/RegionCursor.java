package flashsale.arbiter.core;

import java.util.OptionalLong;

/**
 * What the sequencer knows of one stream source, a region node (a region's unnamed node has the
 * region's name as its key; see {@link flashsale.sale.StreamSource}), across all events: its
 * watermark {@code W_r} (the highest watermark or ticket stamp ever heard, kept across the node's
 * streams), the order check of its current stream, and its clock verdict; and whether it has been
 * silent past the region timeout, which leaves it out of every frontier until it speaks again.
 *
 * <p>A region that no node has spoken for yet is waited for through its unnamed cursor, created
 * when an event names the region; once a named node of the region speaks, that placeholder is
 * superseded and left out of frontiers (unless an unnamed node really speaks through it).
 */
final class RegionCursor {

  private final String region;
  private final String node;
  private final String source;
  /** Never spoke, and a named node of its region has: it stands for nobody. */
  private boolean superseded;
  /** A named node that has spoken, and said so to its region's placeholder. */
  private boolean claimedRegion;
  private boolean connected;
  private boolean spoken;
  private long watermarkMicros;
  private long streamMaxMicros;
  private long streamWatermarkMicros;
  private boolean clockReported;
  private long clockOffsetMicros;
  private long clockRoundTripMicros;
  /** The offset the age bound reads the region's time through: the measured one, within the skew bound. */
  private long clockOffsetForAgeMicros;
  private boolean clockFlagged;
  /** The current stream has been told the verdict: one sent on an earlier stream may have been lost with it. */
  private boolean verdictToldOnStream;
  /** Arbiter clock when the region last sent a ticket or watermark (or was first known). */
  private long lastHeardMicros;
  private boolean timedOut;
  private long timeouts;
  /** A named node this term recorded in the store: it may be welcomed. */
  private boolean recorded;
  /** As far as this term knows, the store holds this node (recorded, or read at recovery): forgotten on a timeout. */
  private boolean inStore;
  private boolean recording;
  /** The current stream waits for its welcome until the node is recorded. */
  private boolean welcomeDue;
  /** First known from a sibling's hello, not from a stream or the store. */
  private boolean hinted;

  /** A clock probe's round trip beyond this (10 s) measures nothing: the region is flagged. */
  static final long MAX_CREDIBLE_ROUND_TRIP_MICROS = 10_000_000;

  RegionCursor(String source, long nowMicros) {
    this.source = source;
    this.region = flashsale.sale.StreamSource.regionOf(source);
    this.node = flashsale.sale.StreamSource.nodeOf(source);
    this.lastHeardMicros = nowMicros;
  }

  /** Known only because a sibling's hello named it. */
  void hinted() {
    hinted = true;
  }

  /** Known only from a sibling's hello, and never heard on a stream of its own. */
  boolean hintedAndUnheard() {
    return hinted && !connected && !spoken;
  }

  /** The region spoke at {@code nowMicros}; true when that ends a timeout (it rejoins). */
  boolean heard(long nowMicros) {
    lastHeardMicros = Math.max(lastHeardMicros, nowMicros);
    boolean rejoined = timedOut;
    timedOut = false;
    return rejoined;
  }

  /** The region could not speak before {@code nowMicros} (streams were not admitted): its silence starts there. */
  void silentSince(long nowMicros) {
    lastHeardMicros = Math.max(lastHeardMicros, nowMicros);
  }

  /** Left out of the frontier for silence, and not heard since. */
  boolean silentPastTimeout() {
    return timedOut;
  }

  /** True when the region has just now been silent for longer than {@code timeoutMicros}. */
  boolean timesOut(long nowMicros, long timeoutMicros) {
    if (timedOut || placeholderOnly() || timeoutMicros <= 0 || nowMicros - lastHeardMicros <= timeoutMicros) return false;
    timedOut = true;
    timeouts++;
    return true;
  }

  long silentMicros(long nowMicros) {
    return nowMicros - lastHeardMicros;
  }

  /** Left out of frontiers: clock flagged, silent past the timeout, or a superseded placeholder. */
  boolean excluded() {
    return clockFlagged || timedOut || placeholderOnly();
  }

  /** A named node of this cursor's region has spoken: an unnamed cursor that never spoke stands for nobody. */
  void supersede() {
    if (node.isEmpty()) superseded = true;
  }

  /** True once, when a named node has first spoken: its region's placeholder is then superseded. */
  boolean claimsRegion() {
    if (node.isEmpty() || !spoken || claimedRegion) return false;
    claimedRegion = true;
    return true;
  }

  /** True for an unnamed cursor, never spoken, whose region is spoken for by named nodes. */
  boolean placeholderOnly() {
    return superseded && !spoken;
  }

  String region() {
    return region;
  }

  /** This region node's node id; empty for the region's unnamed node. */
  String node() {
    return node;
  }

  /** The stream source key: the region, or region/node. */
  String source() {
    return source;
  }

  boolean connected() {
    return connected;
  }

  /** A new stream: its order check starts over, the watermark stays. */
  void connect() {
    connected = true;
    verdictToldOnStream = false;
    streamMaxMicros = Long.MIN_VALUE;
    streamWatermarkMicros = Long.MIN_VALUE;
  }

  void disconnect() {
    connected = false;
    welcomeDue = false;
  }

  /**
   * True when this node's welcome must wait for it to be recorded: a named node the store does not
   * hold. The welcome is then due, and {@link #startRecording} says whether to ask for the write.
   */
  boolean welcomeWaitsForRecord() {
    if (node.isEmpty() || recorded) return false;
    welcomeDue = true;
    return true;
  }

  /** True when a record of this named node should be written now (none is under way and it is not held). */
  boolean startRecording() {
    if (node.isEmpty() || recorded || recording) return false;
    recording = true;
    return true;
  }

  /**
   * The store held this node when this term began: it is waited for, but its first welcome in this
   * term still waits for this term's own record, since an earlier leader's forget may land after the read.
   */
  void heldByStore() {
    inStore = true;
  }

  /** This term recorded the node; true when its current stream's welcome was waiting for that. */
  boolean recordedNow() {
    recorded = true;
    inStore = true;
    recording = false;
    boolean due = welcomeDue && connected;
    welcomeDue = false;
    return due;
  }

  /** True when the store held this node and it should be forgotten now (it timed out). */
  boolean forgetRecord() {
    if (!inStore) return false;
    inStore = false;
    recorded = false;
    return true;
  }

  /** Why a ticket stamped so breaks the protocol on this stream, or null when it does not. */
  String ticketViolation(long stampMicros, long nowMicros, long maxAheadMicros) {
    if (stampMicros <= streamMaxMicros) {
      return "ticket stamp " + stampMicros + " not after " + streamMaxMicros + " earlier on the stream of " + source;
    }
    return futureViolation("ticket stamp", stampMicros, nowMicros, maxAheadMicros);
  }

  /** Why this watermark breaks the protocol on this stream, or null when it does not. */
  String watermarkViolation(long watermark, long nowMicros, long maxAheadMicros) {
    if (watermark < streamWatermarkMicros) {
      return "watermark " + watermark + " below " + streamWatermarkMicros + " earlier on the stream of " + source;
    }
    return futureViolation("watermark", watermark, nowMicros, maxAheadMicros);
  }

  private String futureViolation(String what, long micros, long nowMicros, long maxAheadMicros) {
    if (micros - nowMicros <= maxAheadMicros) return null;
    return what + " " + micros + " from " + source + " is " + (micros - nowMicros) + "us ahead of the arbiter clock "
        + nowMicros + " (tolerated " + maxAheadMicros + "us)";
  }

  /**
   * Why a ticket stamped so may not be ranked though its stream's order holds, or null when it may:
   * at or below what the region promised on an earlier stream (its watermark), or older than
   * {@code maxAgeMicros} by the arbiter's clock read in the region's time (0: no age bound). Asked
   * before {@link #ticketHeard}, and only of tickets the arbiter does not know yet (a resend of a
   * known one is answered, not ranked again).
   */
  String stampBoundViolation(long stampMicros, long nowMicros, long maxAgeMicros) {
    if (spoken && stampMicros <= watermarkMicros) {
      return "ticket stamp " + stampMicros + " at or below " + watermarkMicros + " that region " + source
          + " had already promised";
    }
    long regionNowMicros = nowMicros + (clockReported ? clockOffsetForAgeMicros : 0);
    if (maxAgeMicros > 0 && regionNowMicros - stampMicros > maxAgeMicros) {
      return "ticket stamp " + stampMicros + " is " + (regionNowMicros - stampMicros) + "us behind region " + source
          + "'s clock as the arbiter reads it (at most " + maxAgeMicros + "us)";
    }
    return null;
  }

  /** A ticket stamped {@code stampMicros} passed the order check: nothing at or before it will follow. */
  void ticketHeard(long stampMicros) {
    streamMaxMicros = stampMicros;
    raiseWatermark(stampMicros);
  }

  void watermarkHeard(long watermark) {
    streamWatermarkMicros = watermark;
    streamMaxMicros = Math.max(streamMaxMicros, watermark);
    raiseWatermark(watermark);
  }

  private void raiseWatermark(long micros) {
    watermarkMicros = spoken ? Math.max(watermarkMicros, micros) : micros;
    spoken = true;
  }

  boolean spoken() {
    return spoken;
  }

  long watermarkMicros() {
    if (!spoken) throw new IllegalStateException("region " + source + " has not spoken yet");
    return watermarkMicros;
  }

  boolean clockFlagged() {
    return clockFlagged;
  }

  /**
   * Records a clock measurement. The region is flagged when its offset is provably beyond the
   * bound: even the most favourable reading of the probe's round trip leaves it outside.
   *
   * @return true when the verdict is new (first report), changed, or not yet told on this stream
   */
  boolean clockMeasured(long offsetMicros, long roundTripMicros, long maxSkewMicros) {
    long magnitude = offsetMicros == Long.MIN_VALUE ? Long.MAX_VALUE : Math.abs(offsetMicros);
    // The region reports both: a round trip of hours would excuse any offset, and through that
    // offset the age bound would take a ticket back-dated by as much. Past this it is no measurement.
    boolean credible = roundTripMicros <= MAX_CREDIBLE_ROUND_TRIP_MICROS;
    long halfRoundTripMicros = Math.max(0, Math.min(roundTripMicros, MAX_CREDIBLE_ROUND_TRIP_MICROS)) / 2;
    boolean flagged = !credible || magnitude - halfRoundTripMicros > maxSkewMicros;
    // Within the skew bound a region is taken at its word; beyond it, a round trip's excuse buys no
    // more back-dating (an honest region is off by at most the bound anyway).
    clockOffsetForAgeMicros = offsetMicros == Long.MIN_VALUE ? 0 : Math.clamp(offsetMicros, -maxSkewMicros, maxSkewMicros);
    boolean changed = !clockReported || flagged != clockFlagged || !verdictToldOnStream;
    clockReported = true;
    verdictToldOnStream = true;
    clockOffsetMicros = offsetMicros;
    clockRoundTripMicros = roundTripMicros;
    clockFlagged = flagged;
    return changed;
  }

  String clockVerdictMessage(long maxSkewMicros) {
    String measured = "clock offset " + clockOffsetMicros + "us (round trip " + clockRoundTripMicros + "us)";
    if (clockRoundTripMicros > MAX_CREDIBLE_ROUND_TRIP_MICROS) {
      return measured + ": a round trip over " + MAX_CREDIBLE_ROUND_TRIP_MICROS + "us proves no offset: tickets are rejected";
    }
    return clockFlagged
        ? measured + " provably exceeds the " + maxSkewMicros + "us bound: tickets are rejected"
        : measured + " within the " + maxSkewMicros + "us bound";
  }

  RegionNodeStatus status() {
    return new RegionNodeStatus(
        region,
        node,
        connected,
        spoken ? OptionalLong.of(watermarkMicros) : OptionalLong.empty(),
        clockReported ? OptionalLong.of(clockOffsetMicros) : OptionalLong.empty(),
        clockReported ? OptionalLong.of(clockRoundTripMicros) : OptionalLong.empty(),
        clockFlagged,
        timedOut,
        timeouts);
  }
}
