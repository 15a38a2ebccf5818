package io.inferbus.verticles.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Comparator;
import java.util.List;

/**
 * {@code cluster.host: auto}: the address other members reach this one at, for hosts whose address
 * is not known when the settings are written (a container, a VM from an image).
 */
final class ClusterHost {
  private ClusterHost() {}

  /** The setting as written, or for {@code auto} the IPv4 address of the first interface that is up and not loopback. */
  static String resolve(String setting) {
    if (!setting.equals("auto")) {
      return setting;
    }
    try {
      List<NetworkInterface> interfaces = NetworkInterface.networkInterfaces()
          .filter(ClusterHost::usable)
          .sorted(Comparator.comparingInt(NetworkInterface::getIndex))
          .toList();
      for (NetworkInterface candidate : interfaces) {
        for (InetAddress address : candidate.inetAddresses().toList()) {
          if (address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
            return address.getHostAddress();
          }
        }
      }
    } catch (SocketException e) {
      throw new ConfigException("cluster.host", "auto: the network interfaces cannot be listed (" + e.getMessage() + ")");
    }
    throw new ConfigException("cluster.host", "auto: no interface other than loopback has an IPv4 address; set the address to announce");
  }

  /** A host's bridges to its own containers are not where other machines reach it. */
  private static boolean bridgeOfContainers(String name) {
    return name.startsWith("docker") || name.startsWith("br-") || name.startsWith("veth") || name.startsWith("virbr");
  }

  private static boolean usable(NetworkInterface candidate) {
    try {
      return candidate.isUp() && !candidate.isLoopback() && !candidate.isVirtual() && !bridgeOfContainers(candidate.getName());
    } catch (SocketException e) {
      return false;
    }
  }
}
