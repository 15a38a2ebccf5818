package io.inferbus.verticles.bus;

import io.inferbus.verticles.jobs.JobEvent;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;
import io.vertx.core.json.JsonObject;

/**
 * Job events on the bus ({@link BusAddresses#JOB_EVENTS}): between nodes as the JSON of
 * {@link JobEvent#toJson}, within a node as the event itself. A {@code JsonObject} body would be
 * copied whole at every local delivery and parsed back into an event by each reader; an event is
 * never changed once written, so readers share it.
 */
public final class JobEventCodec implements MessageCodec<JobEvent, JobEvent> {

  public static void register(EventBus bus) {
    bus.registerDefaultCodec(JobEvent.class, new JobEventCodec());
  }

  @Override
  public void encodeToWire(Buffer buffer, JobEvent event) {
    Buffer json = event.toJson().toBuffer();
    buffer.appendInt(json.length()).appendBuffer(json);
  }

  @Override
  public JobEvent decodeFromWire(int pos, Buffer buffer) {
    int length = buffer.getInt(pos);
    return JobEvent.fromJson(new JsonObject(buffer.slice(pos + 4, pos + 4 + length)));
  }

  @Override
  public JobEvent transform(JobEvent event) {
    return event;
  }

  @Override
  public String name() {
    return "inferbus-job-event";
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
