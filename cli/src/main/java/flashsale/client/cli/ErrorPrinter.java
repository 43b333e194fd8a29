package flashsale.client.cli;

import flashsale.client.FlashSaleException;
import java.io.IOException;
import java.io.UncheckedIOException;
import picocli.CommandLine;

/**
 * Prints what a command threw as one line on stderr, never a stack trace, and picks the exit
 * code. Set {@code FLASHSALE_DEBUG=1} to get the stack trace as well.
 */
final class ErrorPrinter implements CommandLine.IExecutionExceptionHandler {
  @Override
  public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
    int exitCode;
    String line;
    if (ex instanceof FlashSaleException e) {
      line = ErrorMessages.line(e);
      exitCode = ExitCodes.forStatus(e.code());
    } else if (ex instanceof IllegalArgumentException) {
      line = "error: " + ex.getMessage();
      exitCode = ExitCodes.USAGE;
    } else if (ex instanceof IOException || ex instanceof UncheckedIOException) {
      line = "error: " + ex.getClass().getSimpleName() + ": " + ex.getMessage();
      exitCode = ExitCodes.FAILURE;
    } else {
      line = "error: " + ex.getClass().getSimpleName() + ": " + ex.getMessage()
          + " (a bug in flashsale; FLASHSALE_DEBUG=1 shows where)";
      exitCode = ExitCodes.FAILURE;
    }
    cmd.getErr().println(line);
    if (System.getenv("FLASHSALE_DEBUG") != null) {
      ex.printStackTrace(cmd.getErr());
    }
    cmd.getErr().flush();
    return exitCode;
  }
}
