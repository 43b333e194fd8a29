package flashsale.region.transport;

import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.DefaultByteBufHolder;

/**
 * The bytes of one socket read and the read's time, passed from the reading thread to the
 * decoding one. The read stays in flight until the decoder has handed its bytes to gRPC.
 */
final class StampedRead extends DefaultByteBufHolder {
  private final InFlightReads.Read read;

  StampedRead(ByteBuf bytes, InFlightReads.Read read) {
    super(bytes);
    this.read = read;
  }

  InFlightReads.Read read() {
    return read;
  }

  /** Dropped undecoded (a failed hand-over, a closed channel): the read must not hold the watermark. */
  @Override
  public boolean release() {
    boolean freed = super.release();
    if (freed) read.release();
    return freed;
  }

  @Override
  public boolean release(int decrement) {
    boolean freed = super.release(decrement);
    if (freed) read.release();
    return freed;
  }
}
