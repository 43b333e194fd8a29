package flashsale.system.edge;

import flashsale.client.wire.RawGrpcCall.Request;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Bad bytes a hostile client sends to the two public methods, each with the exact answer a node
 * must give: a status with its ErrorInfo reason, or how the stream or connection ends.
 */
public final class BadBytesCorpus {
  public static final String PURCHASE = "/flashsale.v1.FlashSaleService/Purchase";
  public static final String CREATE_EVENT = "/flashsale.v1.EventAdminService/CreateEvent";

  private BadBytesCorpus() {}

  private static byte[] prefixClaiming(int claimedBytes, byte[] sent) {
    return ByteBuffer.allocate(5 + sent.length).put((byte) 0).putInt(claimedBytes).put(sent).array();
  }

  /** The corpus: name, path, extra headers, body, whether the stream ends, and the exact answer expected. */
  public record Entry(String name, String path, Map<String, String> headers, byte[] body, boolean endStream, String expected) {
    public Request request() {
      return new Request(path, headers, body, endStream);
    }

    /** The entry and the method it hits, e.g. {@code garbage body -> Purchase}. */
    public String key() {
      return name + " -> " + path.substring(path.lastIndexOf('/') + 1);
    }
  }

  public static List<Entry> entries() {
    byte[] garbage = new byte[64];
    new Random(10).nextBytes(garbage);
    byte[] badUtf8 = {0x0a, 0x02, (byte) 0xc3, 0x28}; // field 1 (a string), 2 bytes, not UTF-8
    String malformed = "status INVALID_ARGUMENT MALFORMED_MESSAGE";
    return List.of(
        new Entry("garbage body", PURCHASE, Map.of(), Request.framed(garbage), true, malformed),
        new Entry("garbage body", CREATE_EVENT, Map.of(), Request.framed(garbage), true, malformed),
        new Entry("invalid UTF-8 in a string", PURCHASE, Map.of(), Request.framed(badUtf8), true, malformed),
        new Entry("invalid UTF-8 in a string", CREATE_EVENT, Map.of(), Request.framed(badUtf8), true, malformed),
        new Entry("length prefix lies (1000, sends 10)", PURCHASE, Map.of(), prefixClaiming(1000, new byte[10]), true,
            "status INTERNAL"),
        new Entry("length prefix lies (1000, sends 10)", CREATE_EVENT, Map.of(), prefixClaiming(1000, new byte[10]), true,
            "status INTERNAL"),
        new Entry("prefix truncated (3 of 5 bytes)", PURCHASE, Map.of(), new byte[] {0, 0, 0}, true, "status INTERNAL"),
        new Entry("prefix truncated (3 of 5 bytes)", CREATE_EVENT, Map.of(), new byte[] {0, 0, 0}, true, "status INTERNAL"),
        // The server waits for the rest until the call's deadline (3 s), then resets the stream (CANCEL).
        new Entry("message cut short, stream left open", PURCHASE, Map.of(), prefixClaiming(100, new byte[10]), false,
            "RST_STREAM 8"),
        new Entry("over-size message (claims 2 MiB)", PURCHASE, Map.of(), prefixClaiming(2 << 20, new byte[16_000]), false,
            "status RESOURCE_EXHAUSTED"),
        new Entry("over-size message (claims 8 MiB)", CREATE_EVENT, Map.of(), prefixClaiming(8 << 20, new byte[16_000]), false,
            "status RESOURCE_EXHAUSTED"),
        // Headers alone: DATA after them would race the reset with a second one (STREAM_CLOSED).
        new Entry("header block 9 KiB (limit 8 KiB)", PURCHASE, Map.of("x-pad", "a".repeat(9 * 1024)), new byte[0], false,
            "RST_STREAM 1"),
        new Entry("header block 64 KiB", PURCHASE, Map.of("x-pad", "a".repeat(64 * 1024)), Request.framed(new byte[0]), true,
            "GOAWAY 1"),
        new Entry("header block 64 KiB", CREATE_EVENT, Map.of("x-pad", "a".repeat(64 * 1024)), Request.framed(new byte[0]), true,
            "GOAWAY 1"));
  }
}
