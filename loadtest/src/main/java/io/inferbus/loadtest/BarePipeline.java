package io.inferbus.loadtest;

import com.hazelcast.config.ClasspathXmlConfig;
import com.hazelcast.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The least a job service on Vert.x can do, the yardstick for inferbus's own overhead: POST a job,
 * send it on the event bus to a consumer that publishes six events, stream them back over SSE. No
 * store, no validation, no queue, no metrics. Runs in its own JVM, as the service does.
 *
 * <p>Clustered, the same on two JVMs joined by Hazelcast (the service's cluster.xml), the API in one
 * and the consumer in the other: the least any clustered design pays for carrying a job and its
 * events between JVMs. {@code worker-batched} sends a job's six events as one message, as a design
 * that batches events would.
 *
 * <p>Usage: BarePipeline port | BarePipeline port api|worker|worker-batched clusterPort members
 */
public final class BarePipeline {
  static final String READY = "bare pipeline ready";
  private static final String WORK = "bare.work";
  private static final String EVENTS = "bare.events";
  private static final List<String> STEPS = List.of("queued", "started", "progress", "progress", "progress", "succeeded");

  private BarePipeline() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    String role = args.length > 1 ? args[1] : "all";
    Future<Vertx> started = role.equals("all") ? Future.succeededFuture(Vertx.vertx())
        : Vertx.builder().withClusterManager(new HazelcastClusterManager(clusterConfig(Integer.parseInt(args[2]), args[3]))).buildClustered();
    started.compose(vertx -> switch (role) {
          case "all" -> vertx.deployVerticle(new Worker(false)).compose(v -> vertx.deployVerticle(new Api(port)));
          case "api" -> vertx.deployVerticle(new Api(port));
          case "worker" -> vertx.deployVerticle(new Worker(false));
          case "worker-batched" -> vertx.deployVerticle(new Worker(true));
          default -> Future.failedFuture("unknown role " + role);
        })
        .onSuccess(v -> System.out.println(READY + " on " + port + " as " + role))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  private static Config clusterConfig(int port, String members) {
    Config config = new ClasspathXmlConfig("cluster.xml");
    config.setClusterName("inferbus-bare-pipeline");
    config.getNetworkConfig().setPort(port).setPortAutoIncrement(true);
    config.getNetworkConfig().getJoin().getTcpIpConfig().setEnabled(true).setMembers(List.of(members.split(",")));
    return config;
  }

  /** Publishes a job's six events, the last one carrying the result: each as a message, or all six in one. */
  private static final class Worker extends VerticleBase {
    private final boolean batched;

    Worker(boolean batched) {
      this.batched = batched;
    }

    @Override
    public Future<?> start() {
      return vertx.eventBus().<JsonObject>consumer(WORK, message -> {
        JsonObject job = message.body();
        String id = job.getString("id");
        JsonArray inputs = job.getJsonArray("input");
        JsonArray all = new JsonArray();
        for (int seq = 1; seq <= STEPS.size(); seq++) {
          String type = STEPS.get(seq - 1);
          JsonObject data = type.equals("succeeded") ? new JsonObject().put("status", type).put("result", new JsonObject().put("outputs", inputs))
              : new JsonObject().put("status", type);
          JsonObject event = new JsonObject().put("id", id).put("seq", seq).put("type", type).put("data", data);
          if (batched) {
            all.add(event);
          } else {
            vertx.eventBus().publish(EVENTS, event);
          }
        }
        if (batched) {
          vertx.eventBus().publish(EVENTS, new JsonObject().put("events", all));
        }
      }).completion();
    }
  }

  /** Accepts jobs and holds each one's SSE response until its last event. */
  private static final class Api extends VerticleBase {
    private final int port;
    private final Map<String, HttpServerResponse> streams = new HashMap<>();

    Api(int port) {
      this.port = port;
    }

    @Override
    public Future<?> start() {
      Future<?> events = vertx.eventBus().<JsonObject>consumer(EVENTS, message -> streamAll(message.body())).completion();
      Future<?> server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
        JsonObject job = body.toJsonObject().put("id", UUID.randomUUID().toString());
        HttpServerResponse response = request.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
        streams.put(job.getString("id"), response);
        vertx.eventBus().send(WORK, job);
      })).listen(port, "127.0.0.1");
      return Future.all(events, server);
    }

    private void streamAll(JsonObject message) {
      JsonArray batch = message.getJsonArray("events");
      if (batch == null) {
        stream(message);
      } else {
        for (int i = 0; i < batch.size(); i++) {
          stream(batch.getJsonObject(i));
        }
      }
    }

    private void stream(JsonObject event) {
      HttpServerResponse response = streams.get(event.getString("id"));
      if (response == null) {
        return;
      }
      String text = "id: " + event.getLong("seq") + "\nevent: " + event.getString("type") + "\ndata: " + event.getJsonObject("data").encode() + "\n\n";
      if (event.getString("type").equals("succeeded")) {
        streams.remove(event.getString("id"));
        response.end(text);
      } else {
        response.write(text);
      }
    }
  }
}
