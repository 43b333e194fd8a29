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
    assertFalse(gate.isOpen());
    assertTrue(gate.refusal().getStatus().getDescription().contains("standby"));
  }
}
