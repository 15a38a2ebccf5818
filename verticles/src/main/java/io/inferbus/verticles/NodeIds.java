package io.inferbus.verticles;

import io.inferbus.verticles.config.InferbusConfig.Role;
import java.util.Locale;
import java.util.UUID;

/**
 * The one id of a node: in every log line, in API answers (the worker that ran a job, readiness),
 * in metrics, and as its Vert.x and Hazelcast member id. Role and process id make it readable;
 * the random part makes it unique across restarts and machines.
 */
final class NodeIds {
  private NodeIds() {}

  static String create(Role role) {
    return role.name().toLowerCase(Locale.ROOT) + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
