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
    } else if (unreachable(ex)) {
      line = "error: cannot connect: " + ex.getMessage() + " (is the server running there? a command's --redis, "
          + "--target or --arbiter names it)";
      exitCode = ExitCodes.FAILURE;
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

  /**
   * A server that is not there (nothing listening, a name that does not resolve) is the user's
   * set-up, not a bug: a refused connection anywhere in the causes, or a client library's own
   * connection failure (lettuce's {@code RedisConnectionException}; the CLI does not link lettuce).
   */
  static boolean unreachable(Throwable ex) {
    for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException) return true;
      if (t.getClass().getSimpleName().endsWith("ConnectionException")) return true;
    }
    return false;
  }
}
