package flashsale.region.core;

/**
 * Whether a region may take purchases, as gRPC health reports it: only once its purchase path is
 * warm, while its arbiter stream is up and while its clock is not flagged. A load balancer that
 * follows health then never sends a burst to a region that would stamp it late, hold it with no
 * arbiter to rank it, or have it refused for clock skew.
 */
public record Readiness(boolean warm, boolean arbiterLinked, boolean clockFlagged) {

  public boolean serving() {
    return warm && arbiterLinked && !clockFlagged;
  }

  /** Why the region is not serving, for the log; empty when it is. */
  public String why() {
    if (!warm) return "warming up";
    if (!arbiterLinked) return "no arbiter stream";
    if (clockFlagged) return "clock flagged by the arbiter";
    return "";
  }
}
