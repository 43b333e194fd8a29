package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import flashsale.client.ProtoTimes;
import flashsale.client.fakes.FakeCluster;
import flashsale.v1.Event;
import flashsale.v1.EventAdminServiceGetEventResponse;
import flashsale.v1.EventMode;
import flashsale.v1.GetPurchaseResponse;
import flashsale.v1.ListDecisionsResponse;
import flashsale.v1.Outcome;
import flashsale.v1.PurchaseState;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The CLI against in-process fake region and arbiter services. */
class CliServerTest {
  private final FakeCluster cluster = new FakeCluster();
  private String region;
  private String arbiter;

  @BeforeEach
  void start() throws Exception {
    region = cluster.startRegion("near");
    arbiter = cluster.startArbiter();
    cluster.ledger.addEvent(Event.newBuilder().setEventId("shoes").setStock(1).build());
  }

  @AfterEach
  void stop() throws Exception {
    cluster.close();
  }

  private static GetPurchaseResponse parse(String json) throws Exception {
    GetPurchaseResponse.Builder b = GetPurchaseResponse.newBuilder();
    JsonFormat.parser().merge(json, b);
    return b.build();
  }

  @Test
  void purchaseAndStatusAgree() throws Exception {
    CliRun bought = CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "alice",
        "--request-id", "req-1", "--json");
    CliRun status = CliRun.run("status", "--target", region, "--event", "shoes", "--json", "req-1");
    CliRun human = CliRun.run("status", "--target", region, "--event", "shoes", "--zone", "Asia/Shanghai", "req-1");

    assertEquals(ExitCodes.OK, bought.exitCode(), bought.err());
    assertEquals(ExitCodes.OK, status.exitCode(), status.err());
    GetPurchaseResponse purchase = parse(bought.out());
    assertEquals(PurchaseState.PURCHASE_STATE_DECIDED, purchase.getState());
    assertEquals(Outcome.OUTCOME_WON, purchase.getDecision().getOutcome());
    assertEquals(purchase, parse(status.out()));
    assertTrue(human.out().startsWith("WON request req-1: user alice, 1 × event shoes, rank 1 in region near"), human.out());
    assertTrue(human.out().contains("+08:00"), "times shown in --zone: " + human.out());
  }

  @Test
  void lostPurchaseExitsOneAndSaysWhy() {
    CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "alice");
    CliRun lost = CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "bob");

    assertEquals(ExitCodes.LOST, lost.exitCode());
    assertTrue(lost.out().startsWith("LOST (SOLD_OUT) request "), lost.out());
  }

  @Test
  void serverErrorsAreOneLineWithTheirExitCode() {
    CliRun noEvent = CliRun.run("purchase", "--target", region, "--event", "nope", "--user", "alice", "--request-id", "r-1");
    CliRun noPurchase = CliRun.run("status", "--target", region, "--event", "shoes", "never-sent");
    CliRun invalid = CliRun.run("event", "create", "--target", arbiter, "--event", "bad", "--item", "i",
        "--stock", "0", "--start", "now", "--end", "+1h", "--regions", "near", "--mode", "central");

    assertEquals(ExitCodes.REJECTED, noEvent.exitCode());
    assertEquals("error: NOT_FOUND EVENT_NOT_FOUND: event nope not found"
        + " (check --event, or create it with 'flashsale event create')", noEvent.errorLine());
    assertEquals(ExitCodes.REJECTED, noPurchase.exitCode());
    assertTrue(noPurchase.errorLine().startsWith("error: NOT_FOUND PURCHASE_NOT_FOUND: no purchase never-sent ("),
        noPurchase.err());
    assertEquals(ExitCodes.REJECTED, invalid.exitCode());
    assertTrue(invalid.errorLine().startsWith("error: INVALID_ARGUMENT INVALID_FIELD: stock must be positive"), invalid.err());
  }

  @Test
  void unreachableNodeExitsThree() {
    CliRun run = CliRun.run("regions", "--target", "inprocess:nobody-listens-here");

    assertEquals(ExitCodes.UNAVAILABLE, run.exitCode());
    assertTrue(run.errorLine().startsWith("error: UNAVAILABLE: "), run.err());
    assertTrue(run.errorLine().endsWith("(is a node listening at --target? (a node serving TLS needs --tls-ca) retrying with the same --request-id is safe)"), run.errorLine());
  }

  /** The request id at the end of an error line, as the CLI adds it when it made the id up. */
  private static String requestIdIn(String errorLine) {
    var m = java.util.regex.Pattern.compile("; request id: ([0-9a-f-]{36})$").matcher(errorLine);
    assertTrue(m.find(), "no generated request id at the end of: " + errorLine);
    return m.group(1);
  }

  @Test
  void aFailedPurchaseUnderAGeneratedRequestIdSaysWhichSoTheRetryIsTheSamePurchase() throws Exception {
    cluster.ledger.failNextPurchases(1_000); // more than the channel's own retries

    CliRun failed = CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "alice");
    cluster.ledger.failNextPurchases(0);
    String requestId = requestIdIn(failed.errorLine());
    CliRun retried = CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "alice", "--request-id", requestId);

    assertEquals(ExitCodes.UNAVAILABLE, failed.exitCode(), failed.err());
    assertTrue(failed.errorLine().startsWith("error: UNAVAILABLE: region warming up ("), failed.err());
    assertTrue(failed.errorLine().endsWith("retrying with the same --request-id is safe); request id: " + requestId),
        failed.err());
    assertEquals(ExitCodes.OK, retried.exitCode(), retried.err());
    assertTrue(retried.out().startsWith("WON request " + requestId + ": user alice"), retried.out());
    ListDecisionsResponse.Builder decisions = ListDecisionsResponse.newBuilder();
    JsonFormat.parser().merge(CliRun.run("event", "decisions", "--target", arbiter, "--event", "shoes", "--json").out(),
        decisions);
    assertEquals(1, decisions.getDecisionsCount(), "one purchase, not two");
  }

  @Test
  void anEventCreateThatTimesOutSaysItsRequestIdAndARetryWithItReturnsTheEvent() {
    cluster.ledger.answerNoCreates(true); // stored, but the answer never comes back

    CliRun timedOut = CliRun.run("event", "create", "--target", arbiter, "--event", "drop", "--item", "sneakers",
        "--stock", "10", "--start", "+1m", "--end", "+1h", "--regions", "near", "--mode", "global-order",
        "--deadline", "200ms");
    cluster.ledger.answerNoCreates(false);
    String requestId = requestIdIn(timedOut.errorLine());
    CliRun retried = CliRun.run("event", "create", "--target", arbiter, "--event", "drop", "--item", "sneakers",
        "--stock", "10", "--start", "+1m", "--end", "+1h", "--regions", "near", "--mode", "global-order",
        "--request-id", requestId);
    CliRun underANewId = CliRun.run("event", "create", "--target", arbiter, "--event", "drop", "--item", "sneakers",
        "--stock", "10", "--start", "+1m", "--end", "+1h", "--regions", "near", "--mode", "global-order",
        "--request-id", "another-try");

    assertEquals(ExitCodes.UNDECIDED, timedOut.exitCode(), timedOut.err());
    assertTrue(timedOut.errorLine().startsWith("error: DEADLINE_EXCEEDED: "), timedOut.err());
    assertTrue(timedOut.errorLine().contains("(the outcome is unknown; retrying with the same --request-id is safe"),
        timedOut.err());
    assertEquals(ExitCodes.OK, retried.exitCode(), retried.err());
    assertTrue(retried.out().startsWith("created event drop: sneakers"), retried.out());
    assertEquals(ExitCodes.REJECTED, underANewId.exitCode(), underANewId.err());
    assertTrue(underANewId.errorLine().endsWith("(choose another --event id; if it is yours (an earlier try that timed out),"
        + " 'flashsale event get --event drop' shows it)"), underANewId.err());
  }

  @Test
  void anAcceptedBidIsPrintedAndExitsZeroWhenItsStandingCannotBeRead() {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("art").setEndTime(ProtoTimes.timestamp(Instant.parse("2030-01-01T00:00:00Z")))
        .setKind(flashsale.v1.EventKind.EVENT_KIND_AUCTION)
        .setAuction(flashsale.v1.AuctionSettings.newBuilder().setUnits(1).setCurrencyCode("EUR")).build());
    cluster.ledger.failNextEventReads(1_000); // the region restarts after the bid was decided

    CliRun bid = CliRun.run("bid", "--target", region, "--event", "art", "--user", "alice", "--amount-minor", "500",
        "--currency", "EUR", "--request-id", "b-1", "--zone", "UTC");
    CliRun json = CliRun.run("status", "--target", region, "--event", "art", "--json", "b-1");
    cluster.ledger.failNextEventReads(0);
    CliRun status = CliRun.run("status", "--target", region, "--event", "art", "--zone", "UTC", "b-1");

    assertEquals(ExitCodes.OK, bid.exitCode(), "accepted: it stands as of its decision; " + bid.err());
    assertTrue(bid.out().startsWith("BID request b-1: user alice, 1 × event art, rank 1 in region near\n"
        + "  bid 500: ACCEPTED, close 2030-01-01T00:00:00Z\n"), bid.out());
    assertTrue(bid.out().endsWith("\n  standing: unknown, the auction could not be read (UNAVAILABLE: region restarting);"
        + " ask again: flashsale status --target " + region + " --event art b-1\n"), bid.out());
    assertEquals("", bid.err());
    assertEquals(ExitCodes.OK, json.exitCode(), json.err());
    assertTrue(json.out().contains("\"BID_ANSWER_ACCEPTED\""), json.out());
    assertTrue(json.err().startsWith("standing: unknown, the auction could not be read (UNAVAILABLE"), json.err());
    assertEquals(ExitCodes.OK, status.exitCode(), status.err());
    assertTrue(status.out().contains("\n  standing: STANDING among the best bids"), status.out());
  }

  @Test
  void purchaseStillPendingAtTheDeadlineExitsFiveAndSaysHowToAsk() {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("slow").setStock(1).build());
    cluster.ledger.hold("slow");

    CliRun run = CliRun.run("purchase", "--target", region, "--event", "slow", "--user", "alice",
        "--request-id", "req-p", "--deadline", "100ms");

    assertEquals(ExitCodes.UNDECIDED, run.exitCode(), run.err());
    assertTrue(run.out().startsWith("PENDING request req-p for event slow, arrived "), run.out());
    assertTrue(run.out().contains("ask again: flashsale status --target " + region + " --event slow req-p"));
  }

  /** With --json the pending answer carries no request id: a generated one is named on stderr, so a script can ask again. */
  @Test
  void aPendingPurchaseInJsonNamesItsGeneratedRequestIdOnStderr() throws Exception {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("slow").setStock(1).build());
    cluster.ledger.hold("slow");

    CliRun run = CliRun.run("purchase", "--target", region, "--event", "slow", "--user", "alice", "--deadline", "100ms",
        "--json");

    assertEquals(ExitCodes.UNDECIDED, run.exitCode(), run.err());
    assertEquals(flashsale.v1.PurchaseState.PURCHASE_STATE_PENDING, parse(run.out()).getState(), run.out());
    var note = java.util.regex.Pattern.compile("note: request (\\S+) of event slow is pending; ask again: flashsale status"
        + " --target " + java.util.regex.Pattern.quote(region) + " --event slow (\\S+)").matcher(run.err());
    assertTrue(note.find(), run.err());
    assertEquals(note.group(1), note.group(2));
  }

  @Test
  void eventCreateStoresUtcAndShowsTheUsersZone() throws Exception {
    CliRun created = CliRun.run("event", "create", "--target", arbiter, "--event", "drop", "--item", "sneakers",
        "--stock", "10", "--start", "2030-01-01T08:00", "--end", "2030-01-01T09:00", "--zone", "Asia/Shanghai",
        "--per-user-limit", "2", "--regions", "near,far", "--mode", "global-order");
    CliRun again = CliRun.run("event", "create", "--target", arbiter, "--event", "drop", "--item", "sneakers",
        "--stock", "10", "--start", "+1s", "--end", "+1h", "--regions", "near", "--mode", "sharded");
    CliRun shown = CliRun.run("event", "get", "--target", arbiter, "--event", "drop", "--zone", "Asia/Shanghai");
    CliRun json = CliRun.run("event", "get", "--target", arbiter, "--event", "drop", "--json");

    assertEquals(ExitCodes.OK, created.exitCode(), created.err());
    assertTrue(created.out().startsWith("created event drop: sneakers, GLOBAL_ORDER"), created.out());
    assertEquals(ExitCodes.REJECTED, again.exitCode());
    assertTrue(again.errorLine().startsWith("error: ALREADY_EXISTS EVENT_EXISTS: "), again.err());
    assertTrue(shown.out().contains("start 2030-01-01T08:00:00+08:00  end 2030-01-01T09:00:00+08:00"), shown.out());
    EventAdminServiceGetEventResponse.Builder parsed = EventAdminServiceGetEventResponse.newBuilder();
    JsonFormat.parser().merge(json.out(), parsed);
    Event event = parsed.getEvent();
    assertEquals(Instant.parse("2030-01-01T00:00:00Z"), ProtoTimes.instant(event.getStartTime()));
    assertEquals(EventMode.EVENT_MODE_GLOBAL_ORDER, event.getMode());
    assertEquals(2, event.getPerUserLimit());
    assertEquals(java.util.List.of("near", "far"), event.getRegionsList());
  }

  @Test
  void decisionsAndRegionsAreListed() throws Exception {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("big").setStock(3).build());
    for (int i = 0; i < 7; i++) {
      CliRun.run("purchase", "--target", region, "--event", "big", "--user", "u" + i);
    }

    CliRun table = CliRun.run("event", "decisions", "--target", arbiter, "--event", "big", "--page-size", "2");
    CliRun json = CliRun.run("event", "decisions", "--target", arbiter, "--event", "big", "--json");
    CliRun regions = CliRun.run("regions", "--target", arbiter);

    assertEquals(ExitCodes.OK, table.exitCode(), table.err());
    assertEquals(1 + 7 + 1, table.out().lines().count(), table.out()); // header, rows, count
    assertTrue(table.out().lines().skip(4).findFirst().orElseThrow().matches("4\\s+LOST\\s+near\\s+u3\\s+1\\s+.*SOLD_OUT"),
        table.out());
    ListDecisionsResponse.Builder parsed = ListDecisionsResponse.newBuilder();
    JsonFormat.parser().merge(json.out(), parsed);
    assertEquals(7, parsed.getDecisionsCount());
    assertTrue(regions.out().lines().anyMatch(l -> l.matches("far\\s+-\\s+no\\s+-\\s+0\\.000\\s+0\\.000\\s+FLAGGED")),
        regions.out());
    assertTrue(regions.out().lines().anyMatch(l -> l.matches("near\\s+-\\s+yes\\s+\\S+\\s+0\\.250\\s+1\\.000\\s+no")),
        regions.out());
  }

  @Test
  void aDecisionLogPrintsEachPageAsItArrivesAndGoesOnAtTheNewLeaderWithoutRepeatingOne() throws Exception {
    cluster.ledger.addEvent(Event.newBuilder().setEventId("big").setStock(3).build());
    for (int i = 0; i < 7; i++) {
      CliRun.run("purchase", "--target", region, "--event", "big", "--user", "u" + i);
    }
    String deposedNamingLeader = cluster.startDeposedArbiter(2, arbiter);
    String deposedNamingNone = cluster.startDeposedArbiter(2, null);

    CliRun failedOver = CliRun.run("event", "decisions", "--target", deposedNamingLeader, "--event", "big", "--page-size", "2");
    CliRun cut = CliRun.run("event", "decisions", "--target", deposedNamingNone, "--event", "big", "--page-size", "2");
    CliRun json = CliRun.run("event", "decisions", "--target", deposedNamingLeader, "--event", "big", "--page-size", "2", "--json");

    assertEquals(ExitCodes.OK, failedOver.exitCode(), failedOver.err());
    List<String> ranks = failedOver.out().lines().skip(1).map(l -> l.split("\\s+")[0]).toList();
    assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "7"), ranks, failedOver.out()); // rows, then "7 decisions"
    assertEquals(ExitCodes.UNAVAILABLE, cut.exitCode(), cut.err());
    assertEquals(1 + 4, cut.out().lines().count(), "the header and the two pages that came: " + cut.out());
    assertTrue(cut.errorLine().startsWith("error: UNAVAILABLE NOT_LEADER"), cut.err());
    ListDecisionsResponse.Builder parsed = ListDecisionsResponse.newBuilder();
    JsonFormat.parser().merge(json.out(), parsed); // deposed already: straight to the leader
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L), parsed.getDecisionsList().stream().map(d -> d.getRank()).toList());
  }

  @Test
  void anEmptyDecisionLogIsAHeaderAndAnEmptyJsonDocument() throws Exception {
    CliRun table = CliRun.run("event", "decisions", "--target", arbiter, "--event", "shoes");
    CliRun json = CliRun.run("event", "decisions", "--target", arbiter, "--event", "shoes", "--json");

    assertEquals(List.of("RANK  OUTCOME  REGION  USER  QTY  REQUEST  ARRIVED  DECIDED  NOTE", "0 decisions"),
        table.out().lines().toList());
    assertEquals(JsonFormat.printer().omittingInsignificantWhitespace().print(ListDecisionsResponse.getDefaultInstance()),
        json.out().strip());
  }

  private static flashsale.v1.Order order(String requestId, flashsale.v1.OrderState state, Instant deadline) {
    var o = flashsale.v1.Order.newBuilder().setEventId("shoes").setRequestId(requestId).setQuantity(1).setRank(1)
        .setState(state);
    if (deadline != null) o.setPaymentDeadlineTime(ProtoTimes.timestamp(deadline));
    return o.build();
  }

  @Test
  void statusShowsWhereAPurchaseStandsAfterTheWin() {
    CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "alice", "--request-id", "req-1");
    Instant deadline = Instant.parse("2030-01-01T00:10:00Z");
    cluster.ledger.orderHistory("shoes", "req-1", order("req-1", flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT, deadline));

    CliRun status = CliRun.run("status", "--target", region, "--event", "shoes", "--zone", "UTC", "req-1");

    assertEquals(ExitCodes.OK, status.exitCode(), status.err());
    assertTrue(status.out().contains("\n  order AWAITING_PAYMENT, pay before 2030-01-01"), status.out());
  }

  @Test
  void watchPurchasePrintsEachChangeAndExitsByHowItEnded() throws Exception {
    CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "alice", "--request-id", "req-1");
    CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "bob", "--request-id", "req-2");
    Instant deadline = Instant.parse("2030-01-01T00:10:00Z");
    cluster.ledger.orderHistory("shoes", "req-1", order("req-1", flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT, deadline),
        order("req-1", flashsale.v1.OrderState.ORDER_STATE_EXPIRED, deadline));
    cluster.ledger.orderHistory("shoes", "req-2", order("req-2", flashsale.v1.OrderState.ORDER_STATE_WAITLISTED, null),
        order("req-2", flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT, deadline),
        order("req-2", flashsale.v1.OrderState.ORDER_STATE_PAID, deadline));

    CliRun expired = CliRun.run("watch-purchase", "--target", region, "--event", "shoes", "--request-id", "req-1",
        "--zone", "UTC");
    CliRun promoted = CliRun.run("watch-purchase", "--target", region, "--event", "shoes", "--request-id", "req-2",
        "--zone", "UTC");
    CliRun json = CliRun.run("watch-purchase", "--target", region, "--event", "shoes", "--request-id", "req-2", "--json");
    CliRun unknown = CliRun.run("watch-purchase", "--target", region, "--event", "shoes", "--request-id", "never-sent");

    assertEquals(ExitCodes.LOST, expired.exitCode(), "won, but it expired unpaid: " + expired.err());
    String[] lines = expired.out().split("\n");
    assertTrue(lines[0].startsWith("WON request req-1: user alice"), expired.out());
    assertTrue(expired.out().contains("\n  order AWAITING_PAYMENT, pay before 2030-01-01"), expired.out());
    assertTrue(lines[lines.length - 1].startsWith("EXPIRED, not paid before 2030-01-01"), expired.out());
    assertTrue(lines[lines.length - 1].endsWith(" request req-1"), expired.out());

    assertEquals(ExitCodes.OK, promoted.exitCode(), "lost, waitlisted, promoted and paid: " + promoted.err());
    assertTrue(promoted.out().startsWith("LOST (SOLD_OUT) request req-2"), promoted.out());
    assertTrue(promoted.out().contains("  order WAITLISTED, waiting for units given back\n"), promoted.out());
    assertTrue(promoted.out().contains("\nAWAITING_PAYMENT, pay before 2030-01-01"), promoted.out());
    assertTrue(promoted.out().endsWith("PAID request req-2\n"), promoted.out());

    List<GetPurchaseResponse> parsed = new java.util.ArrayList<>();
    for (String line : json.out().strip().split("\n")) parsed.add(parse(line));
    assertEquals(List.of(flashsale.v1.OrderState.ORDER_STATE_WAITLISTED, flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT,
        flashsale.v1.OrderState.ORDER_STATE_PAID), parsed.stream().map(r -> r.getOrder().getState()).toList());

    assertEquals(ExitCodes.REJECTED, unknown.exitCode());
    assertTrue(unknown.errorLine().startsWith("error: NOT_FOUND PURCHASE_NOT_FOUND: no purchase never-sent ("), unknown.err());
    assertEquals(ExitCodes.OK, CliRun.run("status", "--target", region, "--event", "shoes", "req-2").exitCode(),
        "lost, then promoted and paid: the buyer has the unit");
    assertEquals(ExitCodes.LOST, CliRun.run("status", "--target", region, "--event", "shoes", "req-1").exitCode(),
        "won, then expired: the buyer has nothing");
  }

  @Test
  void watchPurchaseThatOutlastsMaxWaitSaysSoAndExitsFive() {
    CliRun.run("purchase", "--target", region, "--event", "shoes", "--user", "alice", "--request-id", "req-1");
    cluster.ledger.orderHistory("shoes", "req-1", order("req-1", flashsale.v1.OrderState.ORDER_STATE_AWAITING_PAYMENT,
        Instant.parse("2030-01-01T00:10:00Z")));
    cluster.ledger.keepWatchesOpen();

    CliRun run = CliRun.run("watch-purchase", "--target", region, "--event", "shoes", "--request-id", "req-1",
        "--max-wait", "300ms");

    assertEquals(ExitCodes.UNDECIDED, run.exitCode(), run.err());
    assertTrue(run.out().contains("  order AWAITING_PAYMENT, pay before "), run.out());
    assertTrue(run.out().endsWith("not settled within --max-wait (300 ms); watch again to follow it\n"), run.out());
    assertEquals("", run.err());

    // With --json stdout holds JSON lines only, for a script to parse: the note goes to stderr.
    CliRun json = CliRun.run("watch-purchase", "--target", region, "--event", "shoes", "--request-id", "req-1",
        "--max-wait", "300ms", "--json");
    assertEquals(ExitCodes.UNDECIDED, json.exitCode(), json.err());
    assertTrue(json.out().lines().allMatch(line -> line.startsWith("{")), json.out());
    assertTrue(json.err().contains("not settled within --max-wait (300 ms)"), json.err());
  }
}
