package flashsale.client.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code flashsale event}: groups the event administration commands (served by the arbiter). */
@Command(
    name = "event",
    description = "Create and inspect events on the arbiter.",
    subcommands = {EventCreateCommand.class, EventGetCommand.class, EventDecisionsCommand.class})
final class EventCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, get or decisions");
  }
}
