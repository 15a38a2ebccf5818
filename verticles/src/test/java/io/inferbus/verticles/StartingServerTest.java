package io.inferbus.verticles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The port holder while a node starts: every answer it begins, it finishes, even when the node takes the port over mid-answer. */
class StartingServerTest {
  private static final String NOT_READY_BODY_START = "{\"error\":{\"code\":\"not_ready\"";

  @Test
  void answersNotReadyWithTheErrorBody() throws Exception {
    StartingServer server = StartingServer.open("127.0.0.1", 0, "http.port", "node-1");
    try {
      String response = get(server.port(), "/v1/models");
      assertTrue(response.startsWith("HTTP/1.1 503"), response);
      assertTrue(body(response).startsWith(NOT_READY_BODY_START), response);
      assertTrue(get(server.port(), "/health/live").startsWith("HTTP/1.1 200"));
      String head = send(server.port(), "HEAD /health/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      assertTrue(head.startsWith("HTTP/1.1 503"), head);
      assertEquals("", body(head), "a HEAD answer has no body");
    } finally {
      server.close();
    }
  }

  @Test
  void answersARequestWithABodyInFull() throws Exception {
    StartingServer server = StartingServer.open("127.0.0.1", 0, "http.port", "node-1");
    try {
      String body = "{\"input\":\"" + "x".repeat(100_000) + "\"}";
      String response = send(server.port(), "POST /v1/embeddings HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
          + "Content-Length: " + body.length() + "\r\n\r\n" + body);
      assertTrue(response.startsWith("HTTP/1.1 503"), response);
      assertEquals(contentLength(response), body(response).length(), response);
      assertTrue(body(response).startsWith(NOT_READY_BODY_START), response);
    } finally {
      server.close();
    }
  }

  @Test
  void closingFinishesTheAnswersInFlight() throws Exception {
    for (int round = 0; round < 20; round++) {
      StartingServer server = StartingServer.open("127.0.0.1", 0, "http.port", "node-1");
      int port = server.port();
      AtomicBoolean closed = new AtomicBoolean();
      AtomicInteger answered = new AtomicInteger();
      ConcurrentLinkedQueue<String> truncated = new ConcurrentLinkedQueue<>();
      CountDownLatch busy = new CountDownLatch(4);
      List<Thread> pollers = new ArrayList<>();
      for (int p = 0; p < 4; p++) {
        Thread poller = new Thread(() -> {
          boolean counted = false;
          while (!closed.get()) {
            String response;
            try {
              response = get(port, "/v1/models");
            } catch (SocketTimeoutException hung) {
              truncated.add("no answer and no close within 3 s");
              continue;
            } catch (IOException refusedOrResetBeforeAnyByte) {
              continue;
            }
            if (response.isEmpty()) {
              continue; // closed before the request was taken: no answer begun
            }
            if (!response.contains("\r\n\r\n") || !body(response).startsWith(NOT_READY_BODY_START)
                || body(response).length() != contentLength(response)) {
              truncated.add(response);
            }
            answered.incrementAndGet();
            if (!counted) {
              counted = true;
              busy.countDown();
            }
          }
        });
        poller.start();
        pollers.add(poller);
      }
      busy.await();
      server.close();
      closed.set(true);
      for (Thread poller : pollers) {
        poller.join();
      }
      assertTrue(answered.get() >= 4);
      assertEquals(List.of(), List.copyOf(truncated), "answers cut short in round " + round);
    }
  }

  private static String get(int port, String path) throws IOException {
    return send(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
  }

  private static String send(int port, String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(3_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream read = new ByteArrayOutputStream();
      byte[] buffer = new byte[512];
      try {
        for (int n; (n = in.read(buffer)) >= 0; ) {
          read.write(buffer, 0, n);
        }
      } catch (IOException resetAfterSomeBytes) {
        if (read.size() == 0) {
          throw resetAfterSomeBytes;
        }
      }
      return read.toString(StandardCharsets.UTF_8);
    }
  }

  private static String body(String response) {
    int start = response.indexOf("\r\n\r\n");
    return start < 0 ? "" : response.substring(start + 4);
  }

  private static int contentLength(String response) {
    for (String line : response.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring("content-length:".length()).trim());
      }
    }
    return -1;
  }
}
