package flashsale.system;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import flashsale.client.lab.FlashSaleLab;
import flashsale.client.cluster.LocalCluster;
import flashsale.client.cluster.LocalCluster.RegionSpec;
import flashsale.store.memory.InMemoryArbiterStore;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code flashsale} CLI, run in-process with captured output, against a real local cluster. */
public class CliAgainstClusterTest {
  static LocalCluster cluster;

  /** One in-process CLI run: exit code, stdout, stderr. */
  public record Run(int exitCode, String out, String err) {}

  /** Runs the CLI in-process the way {@code main} does. */
  public static Run flashsale(String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    var cli = FlashSaleLab.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @BeforeAll
  static void start() throws Exception {
    cluster =
        LocalCluster.start(new InMemoryArbiterStore(), List.of(new RegionSpec("east", 0, Duration.ZERO), new RegionSpec("west", 10, Duration.ZERO)), 2)
            .awaitConnected(Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  /**
   * `--start now --end +10m` reads the clock at each run, so a retry under the same request id
   * carries other times: it gets the event its first run created, as the request id's help
   * promises, while a retry with other content is still refused.
   */
  @Test
  void aRetryOfAnEventCreateWithRelativeTimesReturnsTheEventItCreated() throws Exception {
    List<String> create = List.of("event", "create", "--target", cluster.arbiterTarget(), "--event", "cli-retry",
        "--item", "sneakers", "--stock", "5", "--start", "now", "--end", "+10m", "--regions", "east,west",
        "--mode", "global-order", "--request-id", "create-retry-1");
    Run first = flashsale(create.toArray(String[]::new));
    assertEquals(0, first.exitCode(), first.err());
    Thread.sleep(5); // another clock reading for now and +10m
    Run again = flashsale(create.toArray(String[]::new));
    assertEquals(0, again.exitCode(), again.err());
    assertTrue(again.out().startsWith("created event cli-retry: sneakers"), again.out());
    assertTrue(again.err().startsWith("note: request id create-retry-1 created this event in an earlier run"), again.err());

    List<String> otherStock = new java.util.ArrayList<>(create);
    otherStock.set(otherStock.indexOf("5"), "6");
    Run refused = flashsale(otherStock.toArray(String[]::new));
    assertEquals(4, refused.exitCode(), refused.err());
    assertTrue(refused.err().contains("ALREADY_EXISTS REQUEST_ID_REUSED"), refused.err());
    List<String> withWindow = new java.util.ArrayList<>(create);
    withWindow.addAll(List.of("--payment-window", "10m"));
    Run otherTerms = flashsale(withWindow.toArray(String[]::new));
    assertEquals(4, otherTerms.exitCode(), otherTerms.err());
  }

  @Test
  void createPurchaseStatusAndAuditLogAgree() {
    Run created =
        flashsale("event", "create", "--target", cluster.arbiterTarget(), "--event", "cli-shoes", "--item", "sneakers",
            "--stock", "1", "--start", "now", "--end", "+10m", "--regions", "east,west", "--mode", "global-order");
    assertEquals(0, created.exitCode(), created.err());
    assertEquals("", created.err(), "both regions are connected: no warning");
    Run typo = flashsale("event", "create", "--target", cluster.arbiterTarget(), "--event", "cli-typo", "--item", "hats",
        "--stock", "1", "--start", "now", "--end", "+10m", "--regions", "east,wets", "--mode", "global-order");
    assertEquals(0, typo.exitCode(), typo.err());
    assertTrue(typo.err().startsWith("warning: no node of region(s) wets is connected"), typo.err());

    Run won = flashsale("purchase", "--target", cluster.regionTarget("west"), "--event", "cli-shoes", "--user", "ann", "--request-id", "ann-1", "--json");
    assertEquals(0, won.exitCode(), won.err()); // 0 = WON
    assertTrue(won.out().contains("OUTCOME_WON"), won.out());
    Run lost = flashsale("purchase", "--target", cluster.regionTarget("east"), "--event", "cli-shoes", "--user", "bob", "--request-id", "bob-1", "--json");
    assertEquals(1, lost.exitCode(), lost.out() + lost.err()); // 1 = decided and LOST
    assertTrue(lost.out().contains("LOSS_REASON_SOLD_OUT"), lost.out());

    Run status = flashsale("status", "--target", cluster.regionTarget("west"), "--event", "cli-shoes", "--json", "ann-1");
    assertEquals(0, status.exitCode(), status.err());
    assertEquals(won.out(), status.out(), "purchase and status print the same decision");

    Run log = flashsale("event", "decisions", "--target", cluster.arbiterTarget(), "--event", "cli-shoes");
    assertEquals(0, log.exitCode(), log.err());
    // bob's purchase came after the sold-out notice: his loss is recorded like any decision
    assertTrue(log.out().contains("ann-1") && log.out().contains("bob-1") && log.out().contains("2 decisions"), log.out());

    Run regions = flashsale("regions", "--target", cluster.arbiterTarget());
    assertEquals(0, regions.exitCode(), regions.err());
    assertTrue(regions.out().contains("east") && regions.out().contains("west"), regions.out());
  }

  @Test
  void reservationCreateReserveStatusAndGetShowTheSlot() {
    Run created = flashsale("event", "create", "--target", cluster.arbiterTarget(), "--event", "cli-tables",
        "--item", "dinner", "--kind", "reservation", "--slot", "18:00=2", "--slot", "19:00=2", "--per-user-limit", "2",
        "--start", "now", "--end", "+10m", "--regions", "east,west");
    assertEquals(0, created.exitCode(), created.err());
    assertTrue(created.out().contains("stock 4") && created.out().contains("18:00 (2), 19:00 (2)"), created.out());

    Run won = flashsale("reserve", "--target", cluster.regionTarget("west"), "--event", "cli-tables", "--user", "ann",
        "--slot", "18:00", "--slot", "19:00", "--quantity", "2", "--request-id", "ann-r");
    assertEquals(0, won.exitCode(), won.out() + won.err());
    assertTrue(won.out().contains("slot 18:00 (asked for 18:00, 19:00)"), won.out());
    Run next = flashsale("reserve", "--target", cluster.regionTarget("east"), "--event", "cli-tables", "--user", "bob",
        "--slot", "18:00", "--slot", "19:00", "--quantity", "2", "--request-id", "bob-r");
    assertTrue(next.out().contains("slot 19:00"), next.out());
    Run lost = flashsale("reserve", "--target", cluster.regionTarget("east"), "--event", "cli-tables", "--user", "cy",
        "--slot", "18:00", "--request-id", "cy-r");
    assertEquals(1, lost.exitCode(), lost.out() + lost.err());
    assertTrue(lost.out().contains("LOST (SOLD_OUT)") && lost.out().contains("slot none"), lost.out());

    Run status = flashsale("status", "--target", cluster.regionTarget("east"), "--event", "cli-tables", "ann-r");
    assertTrue(status.out().contains("slot 18:00"), status.out());
    Run get = flashsale("event", "get", "--target", cluster.arbiterTarget(), "--event", "cli-tables");
    assertTrue(get.out().contains("slots left 18:00 0/2, 19:00 0/2"), get.out());
    Run log = flashsale("event", "decisions", "--target", cluster.arbiterTarget(), "--event", "cli-tables");
    assertTrue(log.out().contains("SLOT") && log.out().contains("19:00"), log.out());
    Run noSlot = flashsale("event", "create", "--target", cluster.arbiterTarget(), "--event", "cli-x", "--item", "x",
        "--kind", "reservation", "--start", "now", "--end", "+10m", "--regions", "east");
    assertEquals(2, noSlot.exitCode(), noSlot.err());
  }

  @Test
  void auctionCreateBidAndGetShowTheStandingBid() {
    Run created = flashsale("event", "create", "--target", cluster.arbiterTarget(), "--event", "cli-painting",
        "--item", "painting", "--kind", "auction", "--units", "1", "--reserve-minor", "1000", "--increment-minor", "50",
        "--currency", "EUR", "--soft-close-window-seconds", "30", "--soft-close-cap-seconds", "300",
        "--start", "now", "--end", "+10m", "--regions", "east,west");
    assertEquals(0, created.exitCode(), created.err());
    assertTrue(created.out().contains("auction of 1, reserve 1000, increment 50 EUR, soft close 30s (cap 300s)"),
        created.out());

    Run accepted = flashsale("bid", "--target", cluster.regionTarget("west"), "--event", "cli-painting", "--user", "ann",
        "--amount-minor", "1200", "--currency", "EUR", "--request-id", "ann-b");
    assertEquals(0, accepted.exitCode(), accepted.out() + accepted.err());
    assertTrue(accepted.out().contains("bid 1200: ACCEPTED"), accepted.out());
    Run outbid = flashsale("bid", "--target", cluster.regionTarget("east"), "--event", "cli-painting", "--user", "bob",
        "--amount-minor", "1220", "--currency", "EUR", "--request-id", "bob-b");
    assertEquals(1, outbid.exitCode(), outbid.out() + outbid.err());
    assertTrue(outbid.out().contains("bid 1220: OUTBID (to beat: 1250)"), outbid.out());
    Run wrongCurrency = flashsale("bid", "--target", cluster.regionTarget("east"), "--event", "cli-painting", "--user",
        "cy", "--amount-minor", "5000", "--currency", "USD");
    assertTrue(wrongCurrency.err().startsWith("error: INVALID_ARGUMENT INVALID_FIELD"), wrongCurrency.err());

    Run get = flashsale("event", "get", "--target", cluster.arbiterTarget(), "--event", "cli-painting");
    assertTrue(get.out().contains("standing ann 1200 (west)"), get.out());

    // An accepted bid's decision says "accepted", not "won": status reads where it stands.
    Run standing = flashsale("status", "--target", cluster.regionTarget("east"), "--event", "cli-painting", "ann-b");
    assertEquals(0, standing.exitCode(), standing.out() + standing.err());
    assertTrue(standing.out().startsWith("BID request ann-b") && standing.out().contains("standing: STANDING"), standing.out());
    Run better = flashsale("bid", "--target", cluster.regionTarget("east"), "--event", "cli-painting", "--user", "cy",
        "--amount-minor", "1300", "--currency", "EUR", "--request-id", "cy-b");
    assertEquals(0, better.exitCode(), better.out() + better.err());
    Run pushedOut = flashsale("status", "--target", cluster.regionTarget("west"), "--event", "cli-painting", "ann-b");
    assertEquals(1, pushedOut.exitCode(), pushedOut.out() + pushedOut.err());
    assertTrue(pushedOut.out().contains("standing: OUTBID"), pushedOut.out());
    Run missing = flashsale("event", "create", "--target", cluster.arbiterTarget(), "--event", "cli-y", "--item", "y",
        "--kind", "auction", "--units", "1", "--start", "now", "--end", "+10m", "--regions", "east");
    assertEquals(2, missing.exitCode(), missing.err());
  }

  @Test
  void aWatchedBidIsFollowedToTheCloseAndOnlyTheWinnerExitsZero() {
    Run created = flashsale("event", "create", "--target", cluster.arbiterTarget(), "--event", "cli-vase",
        "--item", "vase", "--kind", "auction", "--units", "1", "--reserve-minor", "1000", "--increment-minor", "50",
        "--currency", "EUR", "--start", "now", "--end", "+4s", "--regions", "east,west");
    assertEquals(0, created.exitCode(), created.err());
    assertEquals(0, flashsale("bid", "--target", cluster.regionTarget("west"), "--event", "cli-vase", "--user", "dan",
        "--amount-minor", "1200", "--currency", "EUR", "--request-id", "dan-b").exitCode());
    assertEquals(0, flashsale("bid", "--target", cluster.regionTarget("east"), "--event", "cli-vase", "--user", "eve",
        "--amount-minor", "1300", "--currency", "EUR", "--request-id", "eve-b").exitCode());

    Run winner = flashsale("watch-purchase", "--target", cluster.regionTarget("east"), "--event", "cli-vase",
        "--request-id", "eve-b", "--max-wait", "30s");
    assertEquals(0, winner.exitCode(), winner.out() + winner.err());
    assertTrue(winner.out().contains("standing: STANDING") && winner.out().contains("standing: WON at the close"),
        winner.out());
    Run loser = flashsale("status", "--target", cluster.regionTarget("west"), "--event", "cli-vase", "dan-b");
    assertEquals(1, loser.exitCode(), loser.out() + loser.err());
    assertTrue(loser.out().contains("standing: LOST at the close (outbid)"), loser.out());
    Run watchedLoser = flashsale("watch-purchase", "--target", cluster.regionTarget("west"), "--event", "cli-vase",
        "--request-id", "dan-b");
    assertEquals(1, watchedLoser.exitCode(), watchedLoser.out() + watchedLoser.err());

    Run get = flashsale("event", "get", "--target", cluster.arbiterTarget(), "--event", "cli-vase");
    assertTrue(get.out().contains("decisions 2 (won 1, lost 1,") && get.out().contains("remaining 0, sold 1"), get.out());
    assertTrue(get.out().contains("hard close") && !get.out().contains("per-user limit"), get.out());
    Run log = flashsale("event", "decisions", "--target", cluster.arbiterTarget(), "--event", "cli-vase");
    assertTrue(log.out().contains("BID ACCEPTED") && !log.out().contains(" WON "), log.out());
  }

  @Test
  void serverRefusalsAreOneLineWithTheirExitCode() {
    Run unknown = flashsale("purchase", "--target", cluster.regionTarget("east"), "--event", "no-such", "--user", "ann");
    assertEquals(4, unknown.exitCode());
    assertTrue(unknown.err().startsWith("error: NOT_FOUND EVENT_NOT_FOUND"), unknown.err());
    assertEquals(1, unknown.err().strip().lines().count(), "one line, no stack trace: " + unknown.err());
    Run badArgs = flashsale("purchase", "--target", cluster.regionTarget("east"), "--quantity", "x");
    assertEquals(2, badArgs.exitCode());
  }

  @Test
  void demoShowsGlobalOrderFairAndTheBaselineBiasedAndWritesTheHtmlReport(@TempDir Path dir) throws Exception {
    Path html = dir.resolve("report.html");
    Run demo = flashsale("demo", "--per-region", "200", "--stock", "40", "--spread-ms", "60", "--no-progress", "--html", html.toString());
    assertEquals(0, demo.exitCode(), demo.err());
    String table = demo.out();
    assertTrue(table.contains("GLOBAL_ORDER") && table.contains("SHARDED") && table.contains("CENTRAL"), "every mode ran:\n" + table);
    var precision = Pattern.compile("winner precision\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)").matcher(table);
    assertTrue(precision.find(), table);
    double globalOrder = Double.parseDouble(precision.group(1));
    double central = Double.parseDouble(precision.group(3));
    // the far region's buyers start earlier but sit 30 ms from the central store: the baseline
    // hands their wins to the near region, global order does not. Global order's promise is the
    // earlier stamp outside the near-tie band (two tickets within their error bounds, at most 1 ms
    // each, are drawn by lottery): no winner reached the wire more than the band (plus the few-ms
    // stamp lag of this shared box) after a loser. Precision counts the lottery's draws too.
    var lastWinner = Pattern.compile("last winner after first loser \\(ms\\)\\s+([0-9.]+)").matcher(table);
    assertTrue(lastWinner.find(), table);
    assertTrue(Double.parseDouble(lastWinner.group(1)) <= 3.0, "global order is fair outside the near-tie band:\n" + table);
    // Precision itself moves with how tightly this box delivers the near burst's first writes: a
    // clump of near tickets inside the band draws against the far ones beside it (0.675 seen on a
    // loaded CI run, every winner within 1.3 ms of the first loser). So it is only held above the
    // baseline's bias, not to a fixed figure.
    assertTrue(globalOrder >= 0.5, "global order is fair:\n" + table);
    assertTrue(central <= globalOrder - 0.3, "the baseline is visibly biased:\n" + table);
    // A reservation burst runs beside the flash sales, judged against serial dictatorship over the wire order.
    var seated = Pattern.compile("RESERVATION \\(GLOBAL_ORDER\\): 400 requests .*seated \\(precision ([0-9.]+)\\)"
        + "(?s).*would seat \\d+ of those \\d+ \\(precision ([0-9.]+)\\)").matcher(table);
    assertTrue(seated.find(), "the reservation burst ran:\n" + table);
    assertTrue(Double.parseDouble(seated.group(1)) >= 0.85, "reservations are seated in wire order:\n" + table);
    String page = Files.readString(html);
    assertTrue(page.contains("data:image/png;base64,"), "the HTML report embeds its plots");
    assertTrue(page.contains("reservation burst"), "the report shows the reservation figures");
  }
}
