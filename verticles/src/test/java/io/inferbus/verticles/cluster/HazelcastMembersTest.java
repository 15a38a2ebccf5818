package io.inferbus.verticles.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HazelcastMembersTest {
  @Test
  void portRangesBecomeOneMemberPerPort() {
    assertEquals(List.of("127.0.0.1:5701", "127.0.0.1:5702", "127.0.0.1:5703", "10.0.0.7"),
        HazelcastCluster.expand(List.of("127.0.0.1:5701-5703", "10.0.0.7")));
  }

  @Test
  void namesBecomeTheirIpv4AddressesAndNamesNotKnownYetAreLeftOut() throws Exception {
    Map<String, InetAddress[]> dns = Map.of(
        "api1", new InetAddress[] {InetAddress.getByAddress("api1", new byte[] {(byte) 172, 20, 0, 4})},
        "worker1", new InetAddress[] {
            InetAddress.getByAddress("worker1", new byte[] {(byte) 172, 20, 0, 3}),
            InetAddress.getByAddress("worker1", new byte[16])});
    HazelcastCluster.Resolver resolver = host -> {
      InetAddress[] addresses = dns.get(host);
      if (addresses == null) {
        throw new UnknownHostException(host);
      }
      return addresses;
    };
    assertEquals(List.of("172.20.0.4:5701", "172.20.0.3:5701", "10.1.2.3:5701", "172.20.0.4"),
        HazelcastCluster.resolve(List.of("api1:5701", "worker1:5701", "worker2:5701", "10.1.2.3:5701", "api1", "api1:5701"), resolver));
  }
}
