package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import flashsale.region.core.BuyerLimits;
import flashsale.region.core.RegionCore;
import flashsale.region.core.StampUncertainty;
import flashsale.v1.RejectionReason;
import flashsale.v1.SequenceResponse;
import flashsale.v1.TicketRejection;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A burst of refused tickets (a region whose clock the arbiter flagged) leaves a line or two in the log, not one per ticket. */
class ArbiterInboundLogTest {
  private static final long NOW_MICROS = 1_800_000_000_000_000L;
  private final ch.qos.logback.classic.Logger logger =
      (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ArbiterInbound.class);
  private final ListAppender<ILoggingEvent> seen = new ListAppender<>();

  @BeforeEach
  void watchTheLog() {
    seen.start();
    logger.addAppender(seen);
  }

  @AfterEach
  void stopWatching() {
    logger.detachAppender(seen);
  }

  @Test
  void thousandsOfRejectedTicketsLeaveAtMostOneWarningPerReason() {
    var core = new RegionCore("eu", 10_000, 1000, () -> Instant.EPOCH.plusNanos(NOW_MICROS * 1000),
        StampUncertainty.defaults(), BuyerLimits.Settings.OFF);
    var inbound = new ArbiterInbound(core, new CallRegistry());
    for (int i = 0; i < 5_000; i++) {
      inbound.accept(SequenceResponse.newBuilder().setTicketRejection(TicketRejection.newBuilder().setEventId("shoes")
          .setRequestId("r" + i).setReason(RejectionReason.REJECTION_REASON_CLOCK_SKEW)
          .setMessage("region eu clock is off by 12 ms")).build());
    }
    List<String> warnings = seen.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
        .map(ILoggingEvent::getFormattedMessage).toList();
    // At most one: a line for this reason may have been written within the interval by another test in this JVM.
    assertTrue(warnings.size() <= 1, warnings.size() + " warnings, first: " + warnings.stream().findFirst().orElse(""));
    warnings.forEach(w -> assertTrue(w.contains("REJECTION_REASON_CLOCK_SKEW") && w.contains("count="), w));
  }
}
