package flashsale.client.load;

import io.grpc.Channel;
import java.util.Objects;

/** A region node the load generator sends to: its name (as recorded) and a channel to it. */
public record RegionTarget(String name, Channel channel) {
  public RegionTarget {
    Objects.requireNonNull(channel, "channel");
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("region name must not be blank");
    }
  }
}
