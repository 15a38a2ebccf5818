package io.inferbus.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The least a job service on Vert.x can do, the yardstick for inferbus's own overhead: POST a job,
 * send it on the event bus to a consumer that publishes six events, stream them back over SSE. No
 * store, no validation, no queue, no metrics. Runs in its own JVM, as the service does.
 *
 * <p>Usage: BarePipeline port
 */
public final class BarePipeline {
  static final String READY = "bare pipeline ready";
  private static final String WORK = "bare.work";
  private static final String EVENTS = "bare.events";
  private static final List<String> STEPS = List.of("queued", "started", "progress", "progress", "progress", "succeeded");

  private BarePipeline() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(args[0]);
    Vertx vertx = Vertx.vertx();
    vertx.deployVerticle(new Worker())
        .compose(v -> vertx.deployVerticle(new Api(port)))
        .onSuccess(v -> System.out.println(READY + " on " + port))
        .onFailure(e -> {
          e.printStackTrace();
          System.exit(1);
        });
  }

  /** Publishes a job's six events, the last one carrying the result. */
  private static final class Worker extends VerticleBase {
    @Override
    public Future<?> start() {
      return vertx.eventBus().<JsonObject>consumer(WORK, message -> {
        JsonObject job = message.body();
        String id = job.getString("id");
        JsonArray inputs = job.getJsonArray("input");
        for (int seq = 1; seq <= STEPS.size(); seq++) {
          String type = STEPS.get(seq - 1);
          JsonObject data = type.equals("succeeded") ? new JsonObject().put("status", type).put("result", new JsonObject().put("outputs", inputs))
              : new JsonObject().put("status", type);
          vertx.eventBus().publish(EVENTS, new JsonObject().put("id", id).put("seq", seq).put("type", type).put("data", data));
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
      Future<?> events = vertx.eventBus().<JsonObject>localConsumer(EVENTS, message -> stream(message.body())).completion();
      Future<?> server = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
        JsonObject job = body.toJsonObject().put("id", UUID.randomUUID().toString());
        HttpServerResponse response = request.response().setChunked(true).putHeader("Content-Type", "text/event-stream");
        streams.put(job.getString("id"), response);
        vertx.eventBus().send(WORK, job);
      })).listen(port, "127.0.0.1");
      return Future.all(events, server);
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
