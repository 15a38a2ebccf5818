package io.inferbus.verticles.bus;

import io.inferbus.verticles.jobs.JobEvent;
import io.inferbus.verticles.jobs.JobEventBatch;
import io.inferbus.verticles.jobs.JobRequest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;
import java.util.function.Function;

/**
 * Bodies that are never changed once made (job events, work requests): between nodes they travel as
 * the JSON of the bus contract, within a node as the object itself. A {@code JsonObject} body would be
 * copied whole at every local delivery (a document job's thousands of inputs included) and parsed back
 * into the object by each reader.
 */
public final class JsonWireCodec<T> implements MessageCodec<T, T> {
  private final String name;
  private final Function<T, JsonObject> toJson;
  private final Function<JsonObject, T> fromJson;

  JsonWireCodec(String name, Function<T, JsonObject> toJson, Function<JsonObject, T> fromJson) {
    this.name = name;
    this.toJson = toJson;
    this.fromJson = fromJson;
  }

  public static void registerAll(EventBus bus) {
    bus.registerDefaultCodec(JobEvent.class, forJobEvents());
    bus.registerDefaultCodec(JobRequest.class, forWork());
    bus.registerDefaultCodec(JobEventBatch.class, forJobEventBatches());
  }

  static JsonWireCodec<JobEvent> forJobEvents() {
    return new JsonWireCodec<>("inferbus-job-event", JobEvent::toJson, JobEvent::fromJson);
  }

  static JsonWireCodec<JobEventBatch> forJobEventBatches() {
    return new JsonWireCodec<>("inferbus-job-event-batch", JobEventBatch::toJson, JobEventBatch::fromJson);
  }

  static JsonWireCodec<JobRequest> forWork() {
    return new JsonWireCodec<>("inferbus-job-request", JobRequest::toJson, JobRequest::fromJson);
  }

  @Override
  public void encodeToWire(Buffer buffer, T body) {
    Buffer json = toJson.apply(body).toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return fromJson.apply(new JsonObject(buffer.slice(pos + 4, pos + 4 + length)));
  }

  @Override
  public T transform(T body) {
    return body;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
