package flashsale.arbiter.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.wire.Errors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** What a node that does not serve answers, as a region or an operator reads it. */
class LeaderGateTest {
  private final AtomicBoolean leaseHeld = new AtomicBoolean();
  private String leader = "";
  private final LeaderGate gate = new LeaderGate(() -> leader, leaseHeld::get);

  @Test
  void aStandbyNamesTheLeaderItKnows() {
    leader = "10.0.0.2:50051";
    StatusRuntimeException refusal = gate.refusal();
    assertEquals(Status.Code.UNAVAILABLE, refusal.getStatus().getCode());
    assertTrue(refusal.getStatus().getDescription().contains("standby; the leader is 10.0.0.2:50051"),
        refusal.getStatus().getDescription());
    assertEquals("10.0.0.2:50051", Errors.infoOf(refusal).orElseThrow().getMetadataOrThrow("leader"));
  }

  @Test
  void aLeaseHolderStillRebuildingSaysSoAndNamesItselfNotAsAStandby() {
    leader = "10.0.0.1:50051"; // this node's own address: it holds the lease
    leaseHeld.set(true);
    StatusRuntimeException refusal = gate.refusal();
    String text = refusal.getStatus().getDescription();
    assertTrue(text.contains("rebuilding its state") && !text.contains("standby"), text);
    assertEquals("10.0.0.1:50051", Errors.infoOf(refusal).orElseThrow().getMetadataOrThrow("leader"));
    assertFalse(gate.isOpen());
    gate.open();
    assertTrue(gate.isOpen(), "open once rebuilt");
  }

  @Test
  void aLeaderPausedPastItsLeaseTurnsCallsAwayThoughItsGateIsOpen() {
    leaseHeld.set(true);
    gate.open();
    leaseHeld.set(false);
    leader = "10.0.0.1:50051"; // itself, as it last knew
    assertFalse(gate.isOpen());
    StatusRuntimeException refusal = gate.refusal();
    assertTrue(refusal.getStatus().getDescription().contains("lease ran out"), refusal.getStatus().getDescription());
    assertEquals(null, refusal.getTrailers().get(LeaderGate.RETRY_PUSHBACK_MS),
        "retried by the caller's policy: a moment later it knows the leader, or leads again");
  }

  @Test
  void aStandbyThatNamesTheLeaderAsksNotToBeRetried() {
    leader = "10.0.0.2:50051";
    assertEquals("-1", gate.refusal().getTrailers().get(LeaderGate.RETRY_PUSHBACK_MS));
    leader = "";
    assertEquals(null, gate.refusal().getTrailers().get(LeaderGate.RETRY_PUSHBACK_MS), "no leader known: an election");
  }
}
