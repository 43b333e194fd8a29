package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import flashsale.net.MalformedRequests;
import flashsale.region.core.BuyerLimits;
import flashsale.region.core.Admission;
import flashsale.region.core.RegionCore;
import flashsale.region.core.StampUncertainty;
import flashsale.sale.EventSpec;
import flashsale.sale.SaleMode;
import flashsale.v1.FlashSaleServiceGrpc;
import flashsale.v1.PurchaseRequest;
import flashsale.sale.ErrorReason;
import io.grpc.ServerServiceDefinition;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Coverage-guided fuzzing (Jazzer) of how a region decodes a Purchase: the guarded marshaller
 * never throws whatever the bytes, and a message that parses is either ticketed or refused with a
 * reason a buyer can be told, never an exception out of the core. In {@code ./mvnw verify} the
 * module's {@code fuzz} run (a JVM of its own) replays the seeds, then fuzzes for maxDuration.
 */
class PurchaseDecodingFuzzTest {
  private static final long NOW_MICROS = 1_800_000_000_000_000L;
  private static final Set<ErrorReason> BUYER_REASONS = EnumSet.of(ErrorReason.INVALID_FIELD,
      ErrorReason.EVENT_NOT_FOUND, ErrorReason.EVENT_NOT_STARTED, ErrorReason.EVENT_ENDED,
      ErrorReason.REGION_NOT_IN_EVENT, ErrorReason.REQUEST_ID_REUSED, ErrorReason.RATE_LIMITED,
      ErrorReason.TOO_MANY_PENDING, ErrorReason.TOO_MANY_PENDING_FOR_USER);
  private static final ServerServiceDefinition GUARDED =
      MalformedRequests.guard(new FlashSaleServiceGrpc.FlashSaleServiceImplBase() {}.bindService());

  private final RegionCore core = new RegionCore("eu", 1000, 1000, () -> Instant.EPOCH.plusNanos(NOW_MICROS * 1000),
      StampUncertainty.defaults(), new BuyerLimits.Settings(5, 5, 0, 1, 3, 100));

  PurchaseDecodingFuzzTest() {
    core.eventAnnounced(new EventSpec("shoes", "shoes", 10, NOW_MICROS - 1_000_000, NOW_MICROS + 1_000_000, 2,
        List.of("eu", "us"), SaleMode.GLOBAL_ORDER, 7));
  }

  @FuzzTest(maxDuration = "20s")
  void anyBytesAreAPurchaseOrARefusalNeverACrash(byte[] bytes) {
    var method = GUARDED.getMethod(FlashSaleServiceGrpc.getPurchaseMethod().getFullMethodName());
    assertNotNull(method.getMethodDescriptor().parseRequest(new ByteArrayInputStream(bytes)));
    PurchaseRequest request;
    try {
      request = PurchaseRequest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException notAMessage) {
      return; // answered MALFORMED_MESSAGE by the guard above
    }
    // Twice: the second is a retry of the same request id, which must get an answer too.
    for (int attempt = 0; attempt < 2; attempt++) {
      Admission result = core.purchase(RegionWire.buyRequest(request), NOW_MICROS + attempt, "10.0.0.1");
      if (result instanceof Admission.Failed failed) {
        assertTrue(BUYER_REASONS.contains(failed.failure().reason()), failed.failure().toString());
        assertNotNull(RegionWire.status(failed.failure()));
      }
    }
  }
}
