package io.inferbus.verticles.cluster;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.FileSystemXmlConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.inferbus.verticles.config.ConfigException;
import io.inferbus.verticles.config.InferbusConfig.ClusterConfig;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.FileNotFoundException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * This node's Hazelcast member: cluster.xml with the member list, port and interface from our
 * settings. We own the instance (rather than letting Vert.x create it) to hear membership changes
 * directly: Vert.x keeps the cluster manager's single node listener for its event bus.
 */
public final class HazelcastCluster {
  private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(HazelcastCluster.class.getName());
  /** The member attribute Vert.x reads its node id from when it is handed an existing instance. */
  private static final String VERTX_NODE_ID = "__vertx.nodeId";

  private final HazelcastInstance instance;

  private HazelcastCluster(HazelcastInstance instance) {
    this.instance = instance;
  }

  /** Blocks while the member joins: call it before Vert.x starts, not on an event loop. */
  public static HazelcastCluster join(ClusterConfig settings, String nodeId) {
    return new HazelcastCluster(Hazelcast.newHazelcastInstance(config(settings, nodeId)));
  }

  static Config config(ClusterConfig settings, String nodeId) {
    Config config;
    try {
      config = settings.configFile().isEmpty() ? new ClasspathXmlConfig("cluster.xml") : new FileSystemXmlConfig(settings.configFile());
    } catch (FileNotFoundException e) {
      throw new ConfigException("cluster.config-file", "no file " + settings.configFile());
    }
    NetworkConfig network = config.getNetworkConfig();
    network.setPort(settings.port()).setPortAutoIncrement(true);
    network.getInterfaces().clear().setEnabled(true).addInterface(settings.host());
    network.getJoin().getMulticastConfig().setEnabled(false);
    network.getJoin().getTcpIpConfig().setEnabled(true).setMembers(resolve(expand(settings.members()), InetAddress::getAllByName));
    config.getMemberAttributeConfig().setAttribute(VERTX_NODE_ID, nodeId);
    int timeout = settings.heartbeatTimeoutSeconds();
    config.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(timeout));
    config.setProperty("hazelcast.heartbeat.interval.seconds", String.valueOf(Math.max(1, Math.min(5, timeout / 5))));
    return config;
  }

  /** "host:5701-5703" becomes three members: Hazelcast itself tries only a few ports per host. */
  static List<String> expand(List<String> members) {
    List<String> expanded = new ArrayList<>();
    for (String member : members) {
      int colon = member.lastIndexOf(':');
      int dash = member.indexOf('-', colon + 1);
      if (colon < 0 || dash < 0) {
        expanded.add(member);
        continue;
      }
      String host = member.substring(0, colon);
      try {
        int first = Integer.parseInt(member.substring(colon + 1, dash));
        int last = Integer.parseInt(member.substring(dash + 1));
        for (int port = first; port <= last; port++) {
          expanded.add(host + ":" + port);
        }
      } catch (NumberFormatException e) {
        throw new ConfigException("cluster.members", "bad port range in '" + member + "'");
      }
    }
    return expanded;
  }

  /** A host name's addresses, as {@link InetAddress#getAllByName}. */
  interface Resolver {
    InetAddress[] addresses(String host) throws UnknownHostException;
  }

  /**
   * Member names become their IPv4 addresses here, because Hazelcast, with its interface pinned,
   * never connects to members given by name (seen with Docker Compose service names). A name that
   * does not resolve yet (a container not started) is left out: that member finds this one when it starts.
   */
  static List<String> resolve(List<String> members, Resolver resolver) {
    List<String> resolved = new ArrayList<>();
    Set<String> unresolved = new java.util.LinkedHashSet<>();
    for (String member : members) {
      int colon = member.lastIndexOf(':');
      String host = colon < 0 ? member : member.substring(0, colon);
      String port = colon < 0 ? "" : member.substring(colon);
      if (host.matches("[0-9.]+")) {
        resolved.add(member);
        continue;
      }
      try {
        for (InetAddress address : resolver.addresses(host)) {
          if (address instanceof Inet4Address) {
            resolved.add(address.getHostAddress() + port);
          }
        }
      } catch (UnknownHostException e) {
        unresolved.add(host);
      }
    }
    if (!unresolved.isEmpty()) {
      LOG.info(() -> "cluster.members: " + String.join(", ", unresolved) + " not known yet; they will find this node when they start");
    }
    return resolved.stream().distinct().toList();
  }

  /** The member itself, for what Vert.x's shared data cannot express (entry processors, async compare-free writes). */
  public HazelcastInstance instance() {
    return instance;
  }

  public HazelcastClusterManager clusterManager() {
    return new HazelcastClusterManager(instance);
  }

  /** Vert.x node ids of the members now in the cluster. */
  public Set<String> members() {
    return instance.getCluster().getMembers().stream().map(m -> m.getAttribute(VERTX_NODE_ID)).collect(Collectors.toSet());
  }

  /** Called on a Hazelcast thread as soon as a member is removed (at once for a killed process). */
  public void onMemberLeft(Consumer<String> listener) {
    instance.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        LOG.info(() -> "member " + event.getMember().getAttribute(VERTX_NODE_ID) + " joined; " + event.getMembers().size() + " member(s)");
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        listener.accept(event.getMember().getAttribute(VERTX_NODE_ID));
      }
    });
  }

  public void leave() {
    instance.shutdown();
  }
}
