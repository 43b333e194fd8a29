package flashsale.client.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code flashsale} command for a running cluster: entry point of the slim jar
 * ({@code cli/target/flashsale-cli.jar}). {@link #commandLine} wires the subcommands, the one-line
 * error printer and the documented exit codes. The lab ({@code flashsale.client.lab.FlashSaleLab})
 * adds what runs a cluster on this machine (demo, load generator, benchmarks) through the same call.
 */
@Command(
    name = "flashsale",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT, // --help and --version on every subcommand too
    version = "flashsale 0.1.0",
    description = "Client for the fair flash-sale arbiter: buy, reserve, administer events.",
    subcommands = {
      PurchaseCommand.class,
      ReserveCommand.class,
      BidCommand.class,
      StatusCommand.class,
      WatchPurchaseCommand.class,
      OrderCommand.Pay.class,
      OrderCommand.Cancel.class,
      OrderCommand.Show.class,
      EventCommand.class,
      RegionsCommand.class,
      DevCertsCommand.class,
      TokenCommand.class,
      CommandLine.HelpCommand.class
    })
public final class FlashSaleCli implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand");
  }

  /** A fully configured command line; tests set its out/err writers and call {@code execute}. */
  public static CommandLine commandLine() {
    return commandLine(java.util.List.of());
  }

  /**
   * The command line with {@code moreSubcommands} (picocli command objects or classes) beside the
   * cluster commands, all with the same error printer and exit-code table.
   */
  public static CommandLine commandLine(java.util.List<Object> moreSubcommands) {
    CommandLine cli = new CommandLine(new FlashSaleCli());
    moreSubcommands.forEach(cli::addSubcommand);
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(new ErrorPrinter());
    document(cli);
    return cli;
  }

  public static void main(String[] args) {
    quietLoggingWithoutAConfiguration();
    System.exit(commandLine().execute(args));
  }

  /**
   * The slim jar carries logback but no {@code logback.xml} (the nodes' is in the full client's):
   * without one, logback logs everything at DEBUG to stdout, before a command's --json output. Set
   * before the first logger is made; a configuration given or on the class path wins.
   */
  static void quietLoggingWithoutAConfiguration() {
    if (System.getProperty("logback.configurationFile") == null
        && FlashSaleCli.class.getClassLoader().getResource("logback.xml") == null) {
      System.setProperty("logback.configurationFile", "flashsale/client/cli/cli-logback.xml");
    }
  }

  /** Puts the exit-code table in every command's help. */
  private static void document(CommandLine cli) {
    cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.descriptions());
    cli.getSubcommands().values().forEach(FlashSaleCli::document);
  }
}
