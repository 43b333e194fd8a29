package flashsale.client.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process the way {@code main} does, with stdout and stderr captured. */
record CliRun(int exitCode, String out, String err) {
  static CliRun run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = flashsale.client.lab.FlashSaleLab.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exitCode = cli.execute(args);
    return new CliRun(exitCode, out.toString(), err.toString());
  }

  /** stderr must be exactly one line, with no stack trace. */
  String errorLine() {
    String trimmed = err.strip();
    if (trimmed.contains("\n")) {
      throw new AssertionError("expected one line on stderr, got:\n" + err);
    }
    return trimmed;
  }
}
