package flashsale.client.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code flashsale} command: entry point of the shaded jar. {@link #commandLine()} wires the
 * subcommands, the one-line error printer and the documented exit codes; new subcommands (such as
 * a {@code demo}) go in the {@code subcommands} list below.
 */
@Command(
    name = "flashsale",
    mixinStandardHelpOptions = true,
    scope = CommandLine.ScopeType.INHERIT, // --help and --version on every subcommand too
    version = "flashsale 0.1.0",
    description = "Client for the fair flash-sale arbiter: buy, administer events, generate load, report fairness.",
    subcommands = {
      PurchaseCommand.class,
      ReserveCommand.class,
      StatusCommand.class,
      OrderCommand.Pay.class,
      OrderCommand.Cancel.class,
      OrderCommand.Show.class,
      EventCommand.class,
      RegionsCommand.class,
      LoadgenCommand.class,
      LoadgenCeilingCommand.class,
      ReportCommand.class,
      DemoCommand.class,
      DevCertsCommand.class,
      TokenCommand.class,
      flashsale.client.bench.CompareCommand.class,
      flashsale.client.bench.GlobalOrderBenchmark.class,
      flashsale.client.bench.PendingMemoryBenchmark.class,
      flashsale.client.bench.IdleEventsBenchmark.class,
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
    CommandLine cli = new CommandLine(new FlashSaleCli());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler(new ErrorPrinter());
    document(cli);
    return cli;
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** Puts the exit-code table in every command's help. */
  private static void document(CommandLine cli) {
    cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.descriptions());
    cli.getSubcommands().values().forEach(FlashSaleCli::document);
  }
}
