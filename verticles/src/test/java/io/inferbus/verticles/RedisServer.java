package io.inferbus.verticles;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Supplier;
import redis.embedded.core.ExecutableProvider;

/**
 * A redis-server of the test's own, on a free loopback port, that the test can kill and start again
 * (its AOF keeps the data). The binary is {@code redis-server} from the PATH, or else the one the
 * embedded-redis artifact ships for this platform: a machine with only Java and Maven runs the tests too.
 */
public final class RedisServer implements AutoCloseable {
  private final int port;
  private final Path dir;
  private Process process;

  private static final Supplier<String> BINARY = memoized(RedisServer::findBinary);

  private static String findBinary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
      Path candidate = Path.of(dir, "redis-server");
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    try {
      java.io.File shipped = ExecutableProvider.newJarResourceProvider().get();
      shipped.setExecutable(true);
      return shipped.getAbsolutePath();
    } catch (IOException e) {
      throw new UncheckedIOException("no redis-server on the PATH, and the one embedded-redis ships could not be unpacked", e);
    }
  }

  private static <T> Supplier<T> memoized(Supplier<T> supplier) {
    java.util.concurrent.atomic.AtomicReference<T> value = new java.util.concurrent.atomic.AtomicReference<>();
    return () -> value.updateAndGet(v -> v != null ? v : supplier.get());
  }

  private RedisServer(int port, Path dir) {
    this.port = port;
    this.dir = dir;
  }

  public static RedisServer start() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      RedisServer server = new RedisServer(socket.getLocalPort(), Files.createTempDirectory("inferbus-redis"));
      socket.close();
      server.restart();
      return server;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  /** Like a crash: no chance to save; what the append-only file holds comes back on restart. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  public void restart() {
    try {
      process = new ProcessBuilder(BINARY.get(), "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
          "--appendonly", "yes", "--appendfsync", "always", "--dir", dir.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!answersPing()) {
      if (System.nanoTime() > deadline || !process.isAlive()) {
        throw new IllegalStateException("redis-server did not start on port " + port);
      }
      pause();
    }
  }

  /** The interval between polls: connection refusals come back at once. */
  private static void pause() {
    try {
      Thread.sleep(20);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private boolean answersPing() {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      socket.setSoTimeout(500);
      socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      byte[] reply = new byte[7];
      int read = in.readNBytes(reply, 0, 7);
      return read == 7 && new String(reply, StandardCharsets.US_ASCII).equals("+PONG\r\n");
    } catch (IOException e) {
      return false;
    }
  }

  @Override
  public void close() {
    kill();
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind harms nothing
    }
  }
}
