package flashsale.region.transport;

import io.grpc.netty.shaded.io.netty.util.concurrent.FastThreadLocal;

/**
 * The UTC microsecond time of the socket read being handled on the current event-loop thread.
 * Set for the duration of one {@code channelRead}, so every HTTP/2 stream created while decoding
 * that read sees it; outside a read there is none.
 */
final class SocketReadTime {
  static final long NONE = Long.MIN_VALUE;

  private static final FastThreadLocal<long[]> CURRENT = new FastThreadLocal<>() {
    @Override
    protected long[] initialValue() {
      return new long[] {NONE};
    }
  };

  private SocketReadTime() {}

  /** Marks the start of a read at {@code readMicros}; returns what to restore in {@link #exit}. */
  static long enter(long readMicros) {
    long[] slot = CURRENT.get();
    long previous = slot[0];
    slot[0] = readMicros;
    return previous;
  }

  static void exit(long previous) {
    CURRENT.get()[0] = previous;
  }

  /** The current read's time, or {@link #NONE} when this thread is not inside a socket read. */
  static long current() {
    return CURRENT.get()[0];
  }
}
