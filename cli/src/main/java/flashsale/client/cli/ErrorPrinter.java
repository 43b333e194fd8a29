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
      // A handshake refused on a certificate fails the same way on every retry: the TLS options are wrong.
      exitCode = ErrorMessages.tlsRefused(e) ? ExitCodes.USAGE : ExitCodes.forFailure(e);
    } else if (ex instanceof IllegalArgumentException) {
      line = "error: " + ex.getMessage();
      exitCode = ExitCodes.USAGE;
    } else if (unreachable(ex) != null) {
      Throwable cause = unreachable(ex);
      line = "error: cannot connect: " + cause.getMessage() + " (is the server running there?"
          + " FLASHSALE_DEBUG=1 shows where)";
      exitCode = ExitCodes.FAILURE;
    } else if (ex instanceof IOException || ex instanceof UncheckedIOException) {
      line = "error: " + ex.getClass().getSimpleName() + ": " + ex.getMessage();
      exitCode = ExitCodes.FAILURE;
    } else {
      line = "error: " + ex.getClass().getSimpleName() + ": " + ex.getMessage()
          + " (a bug in flashsale; FLASHSALE_DEBUG=1 shows where)";
      exitCode = ExitCodes.FAILURE;
    }
    if (cmd.getCommand() instanceof NodeCommand command && command.generatedRequestId != null) {
      // The user never saw the id the command made up, and only a retry under it is safe.
      line += "; request id: " + command.generatedRequestId;
    }
    cmd.getErr().println(line);
    if (System.getenv("FLASHSALE_DEBUG") != null) {
      ex.printStackTrace(cmd.getErr());
    }
    cmd.getErr().flush();
    return exitCode;
  }

  /** Connection failures by class name (some are shaded, or in libraries the CLI does not link). */
  private static final java.util.Set<String> UNREACHABLE = java.util.Set.of(
      "ConnectException", "AnnotatedConnectException", "UnknownHostException", "NoRouteToHostException",
      "ConnectTimeoutException", "AnnotatedNoRouteToHostException");

  /**
   * A server that is not there (nothing listening, a name that does not resolve, no route, a
   * connect that timed out) is the user's set-up, not a bug: that cause, when one of the causes (at
   * most 16 deep) is such a failure; null otherwise.
   */
  static Throwable unreachable(Throwable ex) {
    Throwable t = ex;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
      if (UNREACHABLE.contains(t.getClass().getSimpleName())) return t;
    }
    return null;
  }
}
