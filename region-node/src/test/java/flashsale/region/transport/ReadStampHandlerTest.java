package flashsale.region.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.netty.shaded.io.netty.buffer.Unpooled;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.embedded.EmbeddedChannel;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A socket read holds watermarks at its time from before the read's first byte is decoded until
 * the last is: the purchases it carries are only held on their own once decoded, and a watermark
 * taken while an earlier purchase of the same read was decoded once passed the later ones.
 */
class ReadStampHandlerTest {
  @Test
  void aReadHoldsTheWatermarkWhileItIsDecodedAndLetsGoAfter() {
    var inFlight = new InFlightReads();
    var clock = InstantSource.fixed(Instant.ofEpochSecond(1_800_000_000L, 250_000));
    long readMicros = 1_800_000_000_000_250L;
    List<String> seenWhileDecoding = new ArrayList<>();
    var decoder = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        // Decoding the read, before any purchase in it was added on its own.
        seenWhileDecoding.add(SocketReadTime.current() + " " + inFlight.oldestMicros());
        io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil.release(msg);
      }
    };
    var channel = new EmbeddedChannel(new ReadStampHandler(clock, inFlight), decoder);
    channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}));
    assertEquals(List.of(readMicros + " " + readMicros), seenWhileDecoding, "read time, and the watermark held at it");
    assertEquals(InFlightReads.NONE, inFlight.oldestMicros(), "decoded: the read no longer holds anything");
    assertEquals(SocketReadTime.NONE, SocketReadTime.current());
    channel.finishAndReleaseAll();
  }

  @Test
  void readsOfOneWakeUpAreStampedAsTheyLeaveTheSocketNotAfterTheOnesBeforeAreDecoded() {
    var inFlight = new InFlightReads();
    long[] nowMicros = {1_800_000_000_000_000L};
    InstantSource clock = () -> Instant.ofEpochSecond(0, nowMicros[0] * 1_000);
    List<Long> decodedAt = new ArrayList<>();
    var slowDecoder = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        decodedAt.add(SocketReadTime.current());
        nowMicros[0] += 40_000; // decoding one read takes 40 ms
        io.grpc.netty.shaded.io.netty.util.ReferenceCountUtil.release(msg);
      }
    };
    var channel = new EmbeddedChannel(new ReadStampHandler(clock, inFlight), slowDecoder);
    long first = nowMicros[0];
    channel.pipeline().fireChannelRead(Unpooled.wrappedBuffer(new byte[] {1}));
    nowMicros[0] += 100; // the next read off the socket, 0.1 ms later
    channel.pipeline().fireChannelRead(Unpooled.wrappedBuffer(new byte[] {2}));
    assertEquals(List.of(), decodedAt, "nothing decoded while the socket still had bytes");
    assertEquals(first, inFlight.oldestMicros(), "held reads hold the watermark at the oldest");

    channel.pipeline().fireChannelReadComplete();
    assertEquals(List.of(first, first + 100), decodedAt, "each read keeps the time it left the socket");
    assertEquals(InFlightReads.NONE, inFlight.oldestMicros());
    channel.finishAndReleaseAll();
  }
}
