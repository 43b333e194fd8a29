package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Leaders a standby named outside the region's {@code --arbiter} list get channels of their own:
 * never in the rotation, a few at most, and gone once a stream to them fails. (Channels to
 * nowhere: none of them is used, so none connects.)
 */
class ArbiterChannelsTest {
  private final ArbiterChannels channels = ArbiterChannels.of(
      InProcessChannelBuilder.forName("a").overrideAuthority("10.0.0.1:7001").build(),
      InProcessChannelBuilder.forName("b").overrideAuthority("10.0.0.2:7001").build());

  @AfterEach
  void close() {
    channels.close();
  }

  @Test
  void leadersNamedOutsideTheListNeverJoinTheRotationAndOnlyTheLatestFewStayOpen() {
    List<ManagedChannel> leaders = new ArrayList<>();
    for (int i = 0; i < 10; i++) leaders.add(channels.leader("10.0.1." + i + ":7001")); // ten failovers to new hosts

    assertEquals(2, channels.size(), "the rotation is the configured list");
    assertSame(channels.get(0), channels.get(2), "the rotation wraps over the configured arbiters only");
    assertEquals(-1, channels.indexOf("10.0.1.9:7001"));
    assertEquals(1, channels.indexOf("10.0.0.2:7001"));
    assertEquals(ArbiterChannels.MAX_LEADER_CHANNELS, channels.leaderChannels());
    int kept = ArbiterChannels.MAX_LEADER_CHANNELS;
    for (int i = 0; i < leaders.size(); i++) {
      assertEquals(i < leaders.size() - kept, leaders.get(i).isShutdown(), "channel to former leader " + i);
    }
    assertSame(leaders.get(9), channels.leader("10.0.1.9:7001"), "the current leader's channel is reused");
  }

  @Test
  void aFailedStreamToANamedLeaderClosesItsChannelAndTheNextFollowOpensANewOne() {
    ManagedChannel first = channels.leader("10.0.1.1:7001");
    channels.leaderFailed("10.0.1.1:7001", first);
    assertTrue(first.isShutdown());
    assertEquals(0, channels.leaderChannels());

    ManagedChannel second = channels.leader("10.0.1.1:7001");
    assertNotSame(first, second);
    channels.leaderFailed("10.0.1.1:7001", first); // a late failure of a stream on the old channel
    assertFalse(second.isShutdown(), "the new channel is not the failed stream's");
  }
}
