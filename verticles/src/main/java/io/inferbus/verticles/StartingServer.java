package io.inferbus.verticles;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Holds the node's port while it joins the cluster and loads its models, so clients and load
 * balancers get an answer ({@code 503 not_ready}, liveness 200) instead of a refused connection,
 * and a port that is taken is reported before any slow start-up work. Plain sockets: Vert.x does
 * not exist yet while the node joins, and the JDK's HttpServer cut answers short on stop(0) (a
 * client polling during the hand-over read a 503 whose body never came) or, with stop(delay),
 * waited the whole delay on Java 17 even with nothing in flight.
 *
 * <p>Every answer this server begins, it finishes: closing stops accepting (connections still in
 * the kernel's queue are reset, which a client retries) and waits for the answers in progress.
 */
final class StartingServer {
  private static final int READ_TIMEOUT_MS = 1_000;
  private static final long ANSWERS_IN_FLIGHT_MS = 2_000;
  private static final int MAX_REQUEST_HEAD = 8 * 1024;
  private static final int ANSWER_THREADS = 8;
  private static final int QUEUED_CONNECTIONS = 256;
  private final ServerSocket listening;
  private final ExecutorService answering;
  private final String nodeId;
  private final AtomicBoolean closed = new AtomicBoolean();

  private StartingServer(ServerSocket listening, String nodeId) {
    this.listening = listening;
    this.nodeId = nodeId;
    // One thread accepts, the others answer; a burst beyond them and the queue is turned away.
    this.answering = new ThreadPoolExecutor(ANSWER_THREADS + 1, ANSWER_THREADS + 1, 0, TimeUnit.MILLISECONDS,
        new ArrayBlockingQueue<>(QUEUED_CONNECTIONS), task -> {
          Thread thread = new Thread(task, "inferbus-starting-server");
          thread.setDaemon(true);
          return thread;
        });
  }

  /** @param setting the setting and variable that choose this port, for the error message */
  static StartingServer open(String host, int port, String setting, String nodeId) {
    ServerSocket listening;
    try {
      listening = new ServerSocket();
      listening.setReuseAddress(true);
      listening.bind(new InetSocketAddress(host, port), 64);
    } catch (BindException e) {
      throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + e.getMessage().toLowerCase(Locale.ROOT)
          + "); choose another port with " + setting);
    } catch (IOException e) {
      throw new IllegalStateException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + ")");
    }
    StartingServer server = new StartingServer(listening, nodeId);
    server.answering.execute(server::acceptUntilClosed);
    return server;
  }

  int port() {
    return listening.getLocalPort();
  }

  /** Lets go of the port for the real server, once the answers in progress are written. */
  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      listening.close();
    } catch (IOException ignored) {
      // closing a listening socket only fails if it is already closed
    }
    answering.shutdown();
    try {
      answering.awaitTermination(ANSWERS_IN_FLIGHT_MS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void acceptUntilClosed() {
    while (!closed.get()) {
      Socket connection;
      try {
        connection = listening.accept();
      } catch (IOException closedOrFailed) {
        return;
      }
      try {
        answering.execute(() -> answer(connection));
      } catch (RejectedExecutionException closingOrSaturated) {
        closeQuietly(connection);
      }
    }
  }

  private void answer(Socket connection) {
    try (connection) {
      connection.setSoTimeout(READ_TIMEOUT_MS);
      String[] request = requestLine(connection.getInputStream());
      if (request == null) {
        return;
      }
      OutputStream out = connection.getOutputStream();
      out.write(response(request[1], request[0].equals("HEAD")));
      out.flush();
      connection.shutdownOutput();
      drainUntilTheClientCloses(connection.getInputStream());
    } catch (IOException clientGoneOrSilent) {
      // nothing to answer: the client left or sent no request in time
    }
  }

  /** The method and path of the request line, once the request head has arrived; null if it never does. */
  private static String[] requestLine(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    while (matched < end.length && head.size() < MAX_REQUEST_HEAD) {
      int b = in.read();
      if (b < 0) {
        return null;
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
    }
    String[] requestLine = head.toString(StandardCharsets.ISO_8859_1).split("\r\n", 2)[0].split(" ");
    if (requestLine.length < 2) {
      return new String[] {requestLine[0], ""};
    }
    String target = requestLine[1];
    int query = target.indexOf('?');
    return new String[] {requestLine[0], query < 0 ? target : target.substring(0, query)};
  }

  /**
   * Reads what the client still sends (a request body) until it closes: closing with unread bytes
   * makes the kernel send a reset, which can discard the answer before the client reads it.
   */
  private static void drainUntilTheClientCloses(InputStream in) throws IOException {
    byte[] discard = new byte[4096];
    while (in.read(discard) >= 0) {
      // discard
    }
  }

  /** @param headOnly a HEAD request: the same head, no body */
  private byte[] response(String path, boolean headOnly) {
    int status;
    String reason;
    String body;
    String retryAfter = "";
    if (path.equals("/health/live")) {
      status = 200;
      reason = "OK";
      body = "{\"status\":\"live\",\"node\":\"" + nodeId + "\"}";
    } else if (path.equals("/health/ready")) {
      status = 503;
      reason = "Service Unavailable";
      body = "{\"status\":\"starting\",\"node\":\"" + nodeId + "\"}";
    } else {
      status = 503;
      reason = "Service Unavailable";
      body = "{\"error\":{\"code\":\"not_ready\",\"message\":\"this node is starting (joining the cluster, loading models); retry in a moment\"}}";
      retryAfter = "Retry-After: 1\r\n";
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
        + "Content-Type: application/json\r\n"
        + "Cache-Control: no-store\r\n"
        + retryAfter
        + "Content-Length: " + bytes.length + "\r\n"
        + "Connection: close\r\n\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
    if (headOnly) {
      return headBytes;
    }
    byte[] whole = new byte[headBytes.length + bytes.length];
    System.arraycopy(headBytes, 0, whole, 0, headBytes.length);
    System.arraycopy(bytes, 0, whole, headBytes.length, bytes.length);
    return whole;
  }

  private static void closeQuietly(Socket connection) {
    try {
      connection.close();
    } catch (IOException ignored) {
      // already gone
    }
  }
}
