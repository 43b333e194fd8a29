package flashsale.region.transport;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * What counts as one client where a limit is kept per client address: an IPv6 address's /64 prefix
 * (any host may use all 2^64 addresses of its network), any other address itself.
 */
public final class ClientBuckets {
  private ClientBuckets() {}

  /** The bucket of {@code address}: "2001:db8:0:0:0:0:0:0/64" for an IPv6 address, "192.0.2.7" for an IPv4 one. */
  public static String of(InetAddress address) {
    if (!(address instanceof Inet6Address)) return address.getHostAddress();
    byte[] prefix = Arrays.copyOf(address.getAddress(), 16);
    Arrays.fill(prefix, 8, 16, (byte) 0);
    try {
      return InetAddress.getByAddress(prefix).getHostAddress() + "/64";
    } catch (UnknownHostException e) {
      throw new IllegalStateException("16 bytes are an IPv6 address", e);
    }
  }
}
