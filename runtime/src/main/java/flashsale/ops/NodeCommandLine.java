package flashsale.ops;

import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.function.UnaryOperator;
import picocli.CommandLine;

/**
 * Runs a node command: options from flags, environment and file ({@link ConfigDefaults}), and a
 * failure before or during start-up printed as one line with its cause, exit code 2 for bad
 * options and 1 otherwise, never a stack trace.
 */
public final class NodeCommandLine {
  public static final int EXIT_FAILURE = 1;
  public static final int EXIT_USAGE = 2;

  private NodeCommandLine() {}

  public static int run(Object command, String[] args, PrintWriter out, PrintWriter err) {
    return run(command, args, out, err, System::getenv);
  }

  static int run(Object command, String[] args, PrintWriter out, PrintWriter err, UnaryOperator<String> environment) {
    CommandLine cmd = new CommandLine(command).setOut(out).setErr(err).setCaseInsensitiveEnumValuesAllowed(true);
    String name = cmd.getCommandName();
    try {
      ConfigDefaults.install(cmd, args, environment);
    } catch (IllegalArgumentException e) {
      err.println(name + ": " + e.getMessage());
      return EXIT_USAGE;
    }
    cmd.setParameterExceptionHandler((e, a) -> {
      err.println(name + ": " + e.getMessage() + " (see --help)");
      return EXIT_USAGE;
    });
    cmd.setExecutionExceptionHandler((e, c, parsed) -> {
      err.println(name + ": " + oneLine(e));
      return e instanceof IllegalArgumentException ? EXIT_USAGE : EXIT_FAILURE;
    });
    return cmd.execute(args);
  }

  /** The exception's message and its causes' messages that add something, on one line. */
  public static String oneLine(Throwable e) {
    var parts = new LinkedHashSet<String>();
    for (Throwable t = e; t != null && parts.size() < 4; t = t.getCause()) {
      String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().strip();
      if (parts.stream().noneMatch(p -> p.contains(message))) parts.add(message);
    }
    return String.join(": ", parts).replaceAll("\\s*\\R\\s*", " ");
  }
}
