package flashsale.client.cli;

import flashsale.client.EventAdminClient;
import flashsale.v1.ListRegionsResponse;
import flashsale.v1.RegionStatus;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code flashsale regions}: regions as the arbiter sees them. */
@Command(name = "regions", description = "List regions known to the arbiter: connection, watermark, measured clock offset.")
final class RegionsCommand extends NodeCommand {
  @Override
  public Integer call() {
    connection.expectArbiter();
    List<RegionStatus> regions =
        connection.withChannel(channel -> new EventAdminClient(channel, connection.deadline).listRegions());
    return show(ListRegionsResponse.newBuilder().addAllRegions(regions).build(),
        () -> EventOutput.printRegions(regions, output, out()));
  }
}
