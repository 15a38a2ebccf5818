package io.inferbus.verticles;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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

  /** Starts redis-server and returns once it says it is ready to accept connections (its log is redis.log). */
  public void restart() {
    try {
      process = new ProcessBuilder(BINARY.get(), "--port", String.valueOf(port), "--bind", "127.0.0.1", "--save", "",
          "--appendonly", "yes", "--appendfsync", "always", "--dir", dir.toString())
          .redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    CompletableFuture<Void> ready = new CompletableFuture<>();
    Thread copier = new Thread(() -> copyLog(process, ready), "redis-log-" + port);
    copier.setDaemon(true);
    copier.start();
    try {
      ready.get(20, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("redis-server did not start on port " + port + "; see " + dir.resolve("redis.log"), e);
    }
  }

  /** Copies the server's output to redis.log, completing {@code ready} at its ready line (7.x: "Ready to accept connections tcp"). */
  private void copyLog(Process server, CompletableFuture<Void> ready) {
    try (BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
         Writer log = Files.newBufferedWriter(dir.resolve("redis.log"), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      for (String line = lines.readLine(); line != null; line = lines.readLine()) {
        log.write(line);
        log.write('\n');
        log.flush();
        if (line.toLowerCase(java.util.Locale.ROOT).contains("ready to accept connections")) {
          ready.complete(null);
        }
      }
    } catch (IOException e) {
      ready.completeExceptionally(e);
    }
    ready.completeExceptionally(new IllegalStateException("redis-server exited"));
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
