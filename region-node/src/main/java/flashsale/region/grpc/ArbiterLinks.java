package flashsale.region.grpc;

import flashsale.region.core.ArbiterStream;
import flashsale.region.core.RegionCore;
import flashsale.sale.Partitions;
import flashsale.sale.Ticket;
import io.grpc.Channel;
import java.util.ArrayList;
import java.util.List;

/**
 * The node's streams to the arbiters: one per partition of events (one in all when leadership is
 * not split), each following its own partition's leader. A ticket goes up its event's partition's
 * stream, and a question about an event goes to the arbiter that stream is on.
 */
final class ArbiterLinks {
  private final Partitions partitions;
  private final List<ArbiterLink> links = new ArrayList<>();

  ArbiterLinks(String region, String instanceId, RegionLoop loop, RegionCore core, ArbiterChannels channels,
      ArbiterStream.Settings settings, ArbiterInbound inbound) {
    this.partitions = core.partitions();
    for (int p = 0; p < partitions.count(); p++) {
      links.add(new ArbiterLink(region, instanceId, loop, core, channels, settings, inbound, p));
    }
  }

  /** Opens every stream as node {@code nodeId} of the region (posts to the loop; any thread). */
  void start(String nodeId) {
    links.forEach(link -> link.start(nodeId));
  }

  /** Queues a new ticket on its event's stream. Loop-owned. */
  void send(Ticket ticket) {
    links.get(partitions.of(ticket.eventId())).send(ticket);
  }

  /** The channel of the arbiter that leads (or is thought to lead) {@code eventId}'s partition. */
  Channel channelFor(String eventId) {
    return links.get(partitions.of(eventId)).currentChannel();
  }

  /** True while every stream is welcomed. Safe from any thread. */
  boolean connected() {
    for (ArbiterLink link : links) {
      if (!link.connected()) return false;
    }
    return true;
  }

  void close() {
    links.forEach(ArbiterLink::close);
  }
}
