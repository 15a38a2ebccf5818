package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.access.Caller;
import io.inferbus.verticles.config.InferbusConfig;
import io.inferbus.verticles.jobs.JobEvent;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One client of the event-bus bridge, speaking the frame protocol of Vert.x's bridge clients
 * ({@code @vertx/eventbus-bridge-client.js}) but answered here, never by the event bus: a frame
 * reaches no internal address, and a client's headers reach nothing but the reading of its API key
 * and {@code last-seq}. What a client may do:
 * <ul>
 *   <li>send to {@code inferbus.submit} (with a reply address): the body as for {@code POST /v1/jobs};
 *       the reply is the job, or the error object HTTP would answer;</li>
 *   <li>register for {@code inferbus.events.<job id>}: the job's events so far (after {@code last-seq},
 *       a header), then the live ones, until its terminal event;</li>
 *   <li>send to {@code inferbus.cancel} with {@code {"id"}} (with a reply address): as {@code DELETE /v1/jobs/{id}}.</li>
 * </ul>
 * Anything else is refused with an {@code err} frame and counted by reason.
 */
final class BridgeSocket {
  static final String SUBMIT = "inferbus.submit";
  static final String CANCEL = "inferbus.cancel";
  static final String EVENTS = "inferbus.events.";
  private static final Pattern EVENTS_ADDRESS = Pattern.compile("inferbus\\.events\\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  private static final Pattern REPLY_ADDRESS = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  private final Vertx vertx;
  private final SockJSSocket socket;
  private final InferbusConfig config;
  private final JobService jobs;
  private final ApiKeys keys;
  private final OpenStreams streams;
  private final BridgeMetrics metrics;
  private final Map<String, JobEventFeed> feeds = new HashMap<>();
  /** Registrations whose job is still being looked up. */
  private final Set<String> pending = new HashSet<>();
  private long lastFrame = System.currentTimeMillis();
  private long idleTimer;
  private boolean closed;

  BridgeSocket(Vertx vertx, SockJSSocket socket, InferbusConfig config, JobService jobs, ApiKeys keys, OpenStreams streams,
      BridgeMetrics metrics) {
    this.vertx = vertx;
    this.socket = socket;
    this.config = config;
    this.jobs = jobs;
    this.keys = keys;
    this.streams = streams;
    this.metrics = metrics;
  }

  void start() {
    metrics.opened();
    socket.handler(this::onFrame);
    socket.closeHandler(v -> close());
    long pingTimeout = config.bridge().pingTimeoutSeconds() * 1000L;
    idleTimer = vertx.setPeriodic(Math.max(1000, pingTimeout / 4), t -> {
      if (System.currentTimeMillis() - lastFrame > pingTimeout) {
        metrics.refused("idle_timeout");
        socket.close();
      }
    });
  }

  private void onFrame(Buffer raw) {
    lastFrame = System.currentTimeMillis();
    if (raw.length() > config.bridge().maxFrameBytes()) {
      refuse("frame_too_large", null, null, "frames are limited to " + config.bridge().maxFrameBytes() + " bytes");
      return;
    }
    JsonObject frame;
    try {
      frame = new JsonObject(raw);
    } catch (DecodeException | ClassCastException e) {
      refuse("malformed_frame", null, null, "a frame must be a JSON object");
      return;
    }
    String type = frame.getValue("type") instanceof String t ? t : "";
    String address = frame.getValue("address") instanceof String a ? a : null;
    Object reply = frame.getValue("replyAddress");
    String replyAddress = reply instanceof String r && REPLY_ADDRESS.matcher(r).matches() ? r : null;
    if (reply != null && replyAddress == null) {
      refuse("bad_reply_address", null, null, "a reply address is a short name the client made");
      return;
    }
    JsonObject headers = frame.getValue("headers") instanceof JsonObject h ? h : new JsonObject();
    switch (type) {
      case "ping" -> {
        // keeps the connection alive (lastFrame); the bridge clients expect no answer
      }
      case "send" -> send(address, frame.getValue("body"), headers, replyAddress);
      case "register" -> register(address, headers);
      case "unregister" -> unregister(address);
      case "publish" -> refuse("publish_not_permitted", address, null, "clients may not publish");
      default -> refuse("unknown_frame_type", null, null, "frame types: send, register, unregister, ping");
    }
  }

  private void send(String address, Object body, JsonObject headers, String replyAddress) {
    if (!SUBMIT.equals(address) && !CANCEL.equals(address)) {
      refuse("address_not_permitted", null, replyAddress, "clients may send to " + SUBMIT + " and " + CANCEL + " only");
      return;
    }
    if (!(body instanceof JsonObject json)) {
      reply(replyAddress, new ApiError(ErrorCode.MALFORMED_JSON, "the message body must be a JSON object").toJson());
      return;
    }
    Future<JsonObject> answer;
    try {
      answer = SUBMIT.equals(address) ? submit(json, headers) : cancel(json);
    } catch (ApiError e) {
      answer = Future.failedFuture(e);
    }
    answer.onComplete(result -> reply(replyAddress, result.succeeded() ? result.result() : errorBody(result.cause())));
  }

  private Future<JsonObject> submit(JsonObject body, JsonObject headers) {
    Caller caller = caller(headers);
    JobSubmission submission = JobSubmission.fromJobRequest(body, config).tracedBy(header(headers, "traceparent"));
    return jobs.submit(caller, submission, decision -> {}).map(job -> job.toJson().put("events", EVENTS + job.id()));
  }

  private Future<JsonObject> cancel(JsonObject body) {
    return jobs.cancel(String.valueOf(body.getValue("id"))).map(job -> job.toJson());
  }

  /** The frame's own key first (a browser cannot set headers on a WebSocket), then the connection's. */
  private Caller caller(JsonObject headers) {
    String authorization = header(headers, "authorization");
    String apiKey = header(headers, "x-api-key");
    if (authorization == null && apiKey == null) {
      authorization = socket.headers().get("Authorization");
      apiKey = socket.headers().get("X-API-Key");
    }
    String ip = socket.remoteAddress() == null ? "unknown" : socket.remoteAddress().host();
    return keys.identify(authorization, apiKey, ip);
  }

  private static String header(JsonObject headers, String name) {
    for (String key : headers.fieldNames()) {
      if (key.equalsIgnoreCase(name) && headers.getValue(key) instanceof String value) {
        return value;
      }
    }
    return null;
  }

  private void register(String address, JsonObject headers) {
    if (address == null || !EVENTS_ADDRESS.matcher(address).matches()) {
      refuse("address_not_permitted", address, null, "clients may register for " + EVENTS + "<job id> only");
      return;
    }
    if (feeds.containsKey(address) || pending.contains(address)) {
      return;
    }
    if (feeds.size() + pending.size() >= config.bridge().maxHandlersPerSocket()) {
      refuse("too_many_handlers", address, null, "at most " + config.bridge().maxHandlersPerSocket() + " jobs followed per connection");
      return;
    }
    long after;
    try {
      String lastSeq = header(headers, "last-seq");
      after = lastSeq == null ? 0 : Long.parseLong(lastSeq.trim());
      if (after < 0) {
        throw new NumberFormatException();
      }
    } catch (NumberFormatException e) {
      refuse("bad_last_seq", address, null, "last-seq must be an event number this service sent");
      return;
    }
    String id = address.substring(EVENTS.length());
    pending.add(address);
    jobs.find(id).onComplete(found -> {
      if (!pending.remove(address) || closed) {
        return;
      }
      if (found.failed()) {
        ApiError error = found.cause() instanceof ApiError e ? e : ApiError.jobNotFound(id);
        write(new JsonObject().put("type", "err").put("address", address).put("failureCode", error.status())
            .put("failureType", error.code().wireName()).put("message", error.getMessage()));
        return;
      }
      follow(address, jobs.events(id, after, found.result().status().terminal()));
    });
  }

  private void follow(String address, JobEventFeed feed) {
    feeds.put(address, feed);
    streams.opened();
    socket.drainHandler(v -> feeds.values().forEach(JobEventFeed::resume));
    feed.start(event -> deliver(address, feed, event), () -> {
      feeds.remove(address, feed);
      streams.closed();
    });
  }

  private void deliver(String address, JobEventFeed feed, JobEvent event) {
    write(new JsonObject().put("type", "rec").put("address", address)
        .put("body", new JsonObject().put("seq", event.seq()).put("type", event.type().wireName()).put("data", event.data())));
    if (socket.writeQueueFull()) {
      feed.pause();
    }
  }

  private void unregister(String address) {
    if (address == null) {
      return;
    }
    pending.remove(address);
    JobEventFeed feed = feeds.remove(address);
    if (feed != null) {
      feed.close();
    }
  }

  private void reply(String replyAddress, JsonObject body) {
    if (replyAddress != null) {
      write(new JsonObject().put("type", "rec").put("address", replyAddress).put("body", body));
    }
  }

  private JsonObject errorBody(Throwable failure) {
    if (failure instanceof ApiError error) {
      metrics.refusedRequest(error.code().wireName(), error.status());
      return error.toJson();
    }
    if (failure instanceof io.inferbus.verticles.jobs.StoreUnavailableException) {
      return ApiError.storeUnavailable(config.jobs().retryAfterSeconds()).toJson();
    }
    return new ApiError(ErrorCode.INTERNAL_ERROR, "the service failed to handle this message").toJson();
  }

  /**
   * A refusal: an {@code err} frame, to the handler of {@code address} or the reply of
   * {@code replyAddress} when the client has one, else to its general error handler.
   */
  private void refuse(String reason, String address, String replyAddress, String message) {
    metrics.refused(reason);
    JsonObject err = new JsonObject().put("type", "err").put("failureCode", 403).put("failureType", reason).put("message", message);
    String to = replyAddress != null ? replyAddress : address != null && address.length() <= 200 ? address : null;
    if (to != null) {
      err.put("address", to);
    }
    write(err);
  }

  private void write(JsonObject frame) {
    if (!closed) {
      socket.write(frame.encode()); // a String: a text frame on the raw WebSocket, which clients read as JSON text (a Buffer would go as a binary frame)
    }
  }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    vertx.cancelTimer(idleTimer);
    metrics.closed();
    pending.clear();
    List.copyOf(feeds.values()).forEach(JobEventFeed::close);
    feeds.clear();
  }
}
