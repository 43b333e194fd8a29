package flashsale.system.sim;

import flashsale.sale.TicketRefusal;
import flashsale.arbiter.core.Effect;
import flashsale.sale.Decision;
import flashsale.sale.EventSpec;
import java.util.List;

/** What an arbiter sends down a region's stream: the domain content of each {@code SequenceResponse} kind. */
sealed interface Down {
  /** @param stampFloorMicros the node stamps nothing at or below this from now on (0: no floor) */
  record Welcome(String arbiterId, long maxClockSkewMicros, long stampFloorMicros, long maxTicketAgeMicros) implements Down {}

  record ClockReply(long originMicros, long receiveMicros, long transmitMicros) implements Down {}

  record Decisions(List<Decision> decisions) implements Down {}

  record Announcement(EventSpec spec) implements Down {}

  record SoldOut(String eventId, long soldOutMicros) implements Down {}

  record Rejected(String eventId, String requestId, TicketRefusal reason, String message) implements Down {}

  record Verdict(boolean flagged, String message) implements Down {}

  /** The region's connected named nodes ({@code RegionMembers}). */
  record Members(List<String> nodeIds) implements Down {}
}
