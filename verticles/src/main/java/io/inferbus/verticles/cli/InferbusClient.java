package io.inferbus.verticles.cli;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** The client's HTTP: JSON requests, and a job's events read as they stream (SSE). */
final class InferbusClient {
  /** One event of a job's stream, as SSE sends it. */
  record Event(long id, String type, JsonObject data) {}

  /** The service answered with an error (or not at all): the message to show. */
  static final class ServiceError extends Exception {
    ServiceError(String message) {
      super(message, null, false, false);
    }
  }

  private final ClientOptions options;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();

  InferbusClient(ClientOptions options) {
    this.options = options;
  }

  HttpRequest.Builder request(String path) throws ServiceError {
    try {
      HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(options.base() + path));
      if (options.apiKey != null) {
        builder.header("Authorization", "Bearer " + options.apiKey);
      }
      return builder;
    } catch (IllegalArgumentException e) {
      throw new ServiceError("not a URL: " + options.url);
    }
  }

  /** A JSON answer, or a ServiceError with the API's own message when it refused. */
  JsonObject json(HttpRequest request, int... accepted) throws ServiceError, InterruptedException {
    HttpResponse<String> response = send(request, HttpResponse.BodyHandlers.ofString());
    JsonObject body = parse(response.body());
    for (int status : accepted) {
      if (response.statusCode() == status) {
        return body;
      }
    }
    throw refusal(response.statusCode(), body);
  }

  /** Reads a job's events until the stream ends; a refusal (not a stream) is a ServiceError. */
  void stream(HttpRequest request, Consumer<Event> onEvent) throws ServiceError, InterruptedException {
    HttpResponse<Stream<String>> response = send(request, HttpResponse.BodyHandlers.ofLines());
    if (response.statusCode() == 204) {
      return;
    }
    if (response.statusCode() != 200) {
      throw refusal(response.statusCode(), parse(String.join("\n", response.body().toList())));
    }
    long id = 0;
    String type = "message";
    StringBuilder data = new StringBuilder();
    for (Iterator<String> lines = response.body().iterator(); lines.hasNext(); ) {
      String line = lines.next();
      if (line.isEmpty()) {
        if (data.length() > 0) {
          onEvent.accept(new Event(id, type, parse(data.toString())));
        }
        id = 0;
        type = "message";
        data.setLength(0);
      } else if (line.startsWith("id: ")) {
        id = Long.parseLong(line.substring(4).trim());
      } else if (line.startsWith("event: ")) {
        type = line.substring(7).trim();
      } else if (line.startsWith("data: ")) {
        data.append(line.substring(6));
      }
    }
  }

  private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws ServiceError, InterruptedException {
    try {
      return http.send(request, handler);
    } catch (ConnectException e) {
      throw new ServiceError("cannot reach " + options.base() + " (connection refused): is the service running there? (--url)");
    } catch (IOException e) {
      throw new ServiceError("cannot talk to " + options.base() + ": " + e.getClass().getSimpleName()
          + (e.getMessage() == null ? "" : " " + e.getMessage()));
    }
  }

  private static JsonObject parse(String text) {
    try {
      return text == null || text.isBlank() ? new JsonObject() : new JsonObject(text);
    } catch (DecodeException e) {
      return new JsonObject().put("error", new JsonObject().put("code", "not_json").put("message", text));
    }
  }

  private static ServiceError refusal(int status, JsonObject body) {
    JsonObject error = body.getJsonObject("error", new JsonObject());
    return new ServiceError(status + " " + error.getString("code", "error") + ": " + error.getString("message", body.encode()));
  }
}
