package flashsale.region.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** One host is one bucket: an IPv6 host is usually given a whole /64, and could else take a fresh bucket per call. */
class ClientAddressTest {
  @Test
  void anIpv6HostIsOneBucketAcrossItsSlash64AndAnIpv4AddressItself() throws Exception {
    String a = ClientAddress.bucketOf(InetAddress.getByName("2001:db8::1"));
    assertEquals("2001:db8:0:0:0:0:0:0/64", a);
    assertEquals(a, ClientAddress.bucketOf(InetAddress.getByName("2001:db8::ffff:2")));
    assertNotEquals(a, ClientAddress.bucketOf(InetAddress.getByName("2001:db8:0:1::1")));
    assertEquals("192.0.2.7", ClientAddress.bucketOf(InetAddress.getByName("192.0.2.7")));
  }
}
