package flashsale.region.transport;

import io.grpc.netty.shaded.io.netty.util.concurrent.FastThreadLocal;

/**
 * The socket read being decoded on the current thread: set for the duration of one
 * {@code channelRead} on the decoding side, so every HTTP/2 stream created while decoding that read
 * sees it (and holds it); outside a read there is none.
 */
final class SocketReadTime {
  private static final FastThreadLocal<InFlightReads.Read[]> CURRENT = new FastThreadLocal<>() {
    @Override
    protected InFlightReads.Read[] initialValue() {
      return new InFlightReads.Read[1];
    }
  };

  private SocketReadTime() {}

  /** Marks the start of decoding {@code read}; returns what to restore in {@link #exit}. */
  static InFlightReads.Read enter(InFlightReads.Read read) {
    InFlightReads.Read[] slot = CURRENT.get();
    InFlightReads.Read previous = slot[0];
    slot[0] = read;
    return previous;
  }

  static void exit(InFlightReads.Read previous) {
    CURRENT.get()[0] = previous;
  }

  /** The read being decoded on this thread, or null outside one. */
  static InFlightReads.Read current() {
    return CURRENT.get()[0];
  }
}
