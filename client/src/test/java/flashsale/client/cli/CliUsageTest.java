package flashsale.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CliUsageTest {
  private static void assertUsageError(CliRun run, String message, String usageOf) {
    assertEquals(ExitCodes.USAGE, run.exitCode(), run.err());
    assertTrue(run.err().contains(message), run.err());
    assertTrue(run.err().contains("Usage: " + usageOf), run.err());
    assertFalse(run.err().contains("\tat "), "no stack trace");
  }

  @Test
  void noSubcommandIsAUsageError() {
    assertUsageError(CliRun.run(), "missing subcommand", "flashsale");
    assertUsageError(CliRun.run("event"), "missing subcommand", "flashsale event");
  }

  @Test
  void missingRequiredOptionIsAUsageError() {
    assertUsageError(CliRun.run("purchase", "--target", "localhost:1", "--event", "e"),
        "Missing required option: '--user=<userId>'", "flashsale purchase");
  }

  @Test
  void unknownOptionAndBadValuesAreUsageErrors() {
    assertUsageError(CliRun.run("regions", "--target", "x:1", "--colour"), "Unknown option: '--colour'", "flashsale regions");
    assertUsageError(CliRun.run("status", "--target", "x:1", "--event", "e", "--deadline", "soon", "r"),
        "cannot read duration 'soon'", "flashsale status");
    assertUsageError(CliRun.run("event", "create", "--target", "x:1", "--event", "e", "--item", "i", "--stock", "1",
        "--start", "now", "--end", "+1m", "--regions", "a", "--mode", "fifo"), "unknown mode 'fifo'", "flashsale event create");
    assertUsageError(CliRun.run("loadgen", "--region", "a=x:1", "--event", "e", "--users", "1", "--rate", "1",
        "--duration", "1s", "--pattern", "zigzag", "--out", "x.csv"), "--pattern", "flashsale loadgen");
  }

  @Test
  void unreadableTimeIsOneLineWithExitTwo() {
    CliRun run = CliRun.run("event", "create", "--target", "x:1", "--event", "e", "--item", "i", "--stock", "1",
        "--start", "tomorrow-ish", "--end", "+1m", "--regions", "a", "--mode", "central");

    assertEquals(ExitCodes.USAGE, run.exitCode());
    assertTrue(run.errorLine().startsWith("error: cannot read time 'tomorrow-ish'"), run.err());
  }

  @Test
  void aPerUserLimitOnAnAuctionIsAUsageErrorAsBidsHaveNone() {
    assertUsageError(CliRun.run("event", "create", "--target", "x:1", "--event", "e", "--item", "i", "--kind", "auction",
        "--units", "2", "--reserve-minor", "100", "--increment-minor", "10", "--currency", "EUR", "--per-user-limit", "1",
        "--start", "now", "--end", "+1m", "--regions", "a"), "bids have no per-user limit", "flashsale event create");
  }

  @Test
  void endBeforeStartIsAUsageError() {
    assertUsageError(CliRun.run("event", "create", "--target", "x:1", "--event", "e", "--item", "i", "--stock", "1",
        "--start", "+1m", "--end", "+10s", "--regions", "a", "--mode", "central"), "must be after --start",
        "flashsale event create");
  }

  @Test
  void helpListsTheExitCodes() {
    CliRun run = CliRun.run("purchase", "--help");

    assertEquals(ExitCodes.OK, run.exitCode());
    assertTrue(run.out().contains("Exit codes:"), run.out());
    for (int code = ExitCodes.OK; code <= ExitCodes.FAILURE; code++) {
      assertTrue(run.out().contains("  " + code + "   "), "code " + code + " in:\n" + run.out());
    }
  }

  @Test
  void aTokenNameTheTokenFileCannotHoldIsAUsageErrorAndNoLineIsPrinted() {
    for (String name : java.util.List.of("payments team", "", "tab\tname")) {
      CliRun run = CliRun.run("token", "--role", "admin", "--name", name);
      assertUsageError(run, "--name must be one or more characters without whitespace", "flashsale token");
      assertFalse(run.out().contains("token-file line"), run.out());
    }
  }

  @Test
  void theTokenFileLinePrintedForAGoodNameAdmitsItsToken(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    CliRun run = CliRun.run("token", "--role", "admin,auditor", "--name", "payments-team");
    assertEquals(ExitCodes.OK, run.exitCode(), run.err());
    String token = line(run.out(), "token: ");
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("tokens"), line(run.out(), "token-file line: ") + "\n");

    var holder = flashsale.credentials.StaticTokens.load(file).lookUp(token).orElseThrow();
    assertEquals("payments-team", holder.name());
    assertTrue(holder.has(flashsale.credentials.Role.AUDITOR), holder.toString());
  }

  private static String line(String out, String prefix) {
    return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElseThrow(() -> new AssertionError(out))
        .substring(prefix.length());
  }

  @Test
  void loadgenRefusesAnOutputFolderThatDoesNotExistBeforeSendingAnything() {
    CliRun run = CliRun.run("loadgen", "--region", "a=inprocess:none", "--event", "e", "--users", "1", "--rate", "1",
        "--duration", "1s", "--out", "/nonexistent/folder/results.csv");

    assertEquals(ExitCodes.USAGE, run.exitCode());
    assertEquals("error: --out folder /nonexistent/folder does not exist", run.errorLine());
  }

  @Test
  void missingResultsFileIsALocalFailureOnOneLine() {
    CliRun run = CliRun.run("report", "/nonexistent/results.csv");

    assertEquals(ExitCodes.FAILURE, run.exitCode());
    assertEquals("error: NoSuchFileException: /nonexistent/results.csv", run.errorLine());
  }
}
