package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.verticles.bus.BusAddresses;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** A job's W3C trace context: taken from the request, on its bus messages both ways, in its log lines, in its record. */
class TracingTest {
  private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

  @Test
  void theTraceOfARequestTravelsWithItsJob() {
    List<String> busHeaders = new CopyOnWriteArrayList<>();
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler capture = new Handler() {
      @Override
      public void publish(LogRecord record) {
        records.add(record);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger own = Logger.getLogger("io.inferbus");
    own.addHandler(capture);
    try (TestNode node = TestNode.start(Map.of("INFERBUS_LOG_LEVEL", "debug"))) {
      own.setLevel(java.util.logging.Level.FINE);
      node.node.vertx().eventBus().addOutboundInterceptor(context -> {
        String address = context.message().address();
        if (address.startsWith("inferbus.work.") || address.equals(BusAddresses.JOB_EVENTS)) {
          busHeaders.add(address.substring(0, 15) + " " + context.message().headers().get("traceparent"));
        }
        context.next();
      });
      HttpResponse<Buffer> accepted = node.postJson("/v1/jobs", new JsonObject().put("task", "embed").put("input", "trace me"),
          Map.of("traceparent", TRACEPARENT));
      assertEquals(TRACEPARENT, accepted.getHeader("traceparent"));
      JsonObject job = accepted.bodyAsJsonObject();
      assertEquals(TRACE_ID, job.getString("trace_id"));
      String id = job.getString("id");
      node.pollUntil("the job to end", Duration.ofSeconds(60),
          () -> node.get("/v1/jobs/" + id).bodyAsJsonObject().getString("status").equals("succeeded"));
      assertTrue(busHeaders.contains("inferbus.work.a " + TRACEPARENT), "the work message carries it: " + busHeaders);
      assertTrue(busHeaders.stream().anyMatch(h -> h.startsWith(BusAddresses.JOB_EVENTS.substring(0, 15)) && h.endsWith(TRACEPARENT)), "and its events: " + busHeaders);
      List<String> aboutTheJob = records.stream().filter(r -> r.getParameters() != null && r.getParameters().length > 0
              && r.getParameters()[0] instanceof JobLog.Context c && c.jobId().equals(id) && TRACE_ID.equals(c.traceId()))
          .map(LogRecord::getMessage).toList();
      assertTrue(aboutTheJob.stream().anyMatch(m -> m.startsWith("accepted")), aboutTheJob.toString());
      assertTrue(aboutTheJob.stream().anyMatch(m -> m.startsWith("started")), aboutTheJob.toString());
      assertTrue(aboutTheJob.stream().anyMatch(m -> m.startsWith("succeeded")), aboutTheJob.toString());

      HttpResponse<Buffer> untraced = node.postJson("/v1/jobs", new JsonObject().put("task", "embed").put("input", "no trace"),
          Map.of("traceparent", "garbage"));
      assertTrue(untraced.getHeader("traceparent").matches("00-[0-9a-f]{32}-[0-9a-f]{16}-01"), "a new trace begins: " + untraced.getHeader("traceparent"));
    } finally {
      own.removeHandler(capture);
      own.setLevel(null);
    }
  }
}
