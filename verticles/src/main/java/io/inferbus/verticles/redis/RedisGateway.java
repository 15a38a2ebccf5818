package io.inferbus.verticles.redis;

import io.inferbus.verticles.config.InferbusConfig.RedisConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.circuitbreaker.CircuitBreaker;
import io.vertx.circuitbreaker.CircuitBreakerOptions;
import io.vertx.circuitbreaker.CircuitBreakerState;
import io.vertx.circuitbreaker.OpenCircuitException;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Every Redis call this node makes, behind one circuit breaker: a call slower than the command
 * timeout fails, and after a few failures in a row calls fail at once (callers fall back) until a
 * trial call gets through again. The pooled client connects anew per call, so a Redis that comes
 * back is used again without a restart.
 *
 * <p>A ping every {@link #PING_MILLIS} goes through the same breaker, so an outage is noticed (and
 * the end of one) without any traffic; {@link #available()} is what readiness reports and what
 * every caller tests before using Redis, so the two never disagree.
 */
public final class RedisGateway {
  private static final Logger LOG = Logger.getLogger(RedisGateway.class.getName());
  static final long PING_MILLIS = 500;

  private final Vertx vertx;
  private final Redis redis;
  private final CircuitBreaker breaker;
  private final String keyPrefix;
  private final String whileDown;
  private final String where;
  private volatile String lastFailure = "";
  private volatile boolean pingFailing;
  private boolean pinging;
  private long pingTimer = -1;

  private RedisGateway(Vertx vertx, Redis redis, CircuitBreaker breaker, RedisConfig config) {
    this.vertx = vertx;
    this.redis = redis;
    this.breaker = breaker;
    this.keyPrefix = config.keyPrefix();
    this.where = redacted(config.url());
    this.whileDown = config.jobStore()
        ? "new jobs are refused (503 store_unavailable) until it answers again; running jobs finish and their results are written once it does"
        : "the result cache is bypassed and rate limits are counted per node until it answers again";
  }

  /** Empty when no Redis is configured. */
  public static Optional<RedisGateway> create(Vertx vertx, RedisConfig config, MeterRegistry registry) {
    if (!config.configured()) {
      return Optional.empty();
    }
    Redis redis = Redis.createClient(vertx, new RedisOptions()
        .setConnectionString(config.url())
        .setMaxPoolSize(16)
        .setMaxPoolWaiting(4096)
        .setNetClientOptions(new NetClientOptions().setConnectTimeout(config.commandTimeoutMs()).setTcpNoDelay(true)));
    CircuitBreaker breaker = CircuitBreaker.create("redis", vertx, new CircuitBreakerOptions()
        .setMaxFailures(config.breakerFailures())
        .setTimeout(config.commandTimeoutMs())
        .setResetTimeout(config.breakerResetMs()))
        .failurePolicy(RedisGateway::isUnreachable);
    RedisGateway gateway = new RedisGateway(vertx, redis, breaker, config);
    breaker.openHandler(v -> LOG.warning(() -> gateway.unavailableReason() + ": " + gateway.whileDown));
    breaker.closeHandler(v -> LOG.info(() -> "Redis at " + gateway.where + " answers again"));
    Gauge.builder("inferbus_redis_breaker_state", () -> switch (breaker.state()) {
          case CLOSED -> 0;
          case HALF_OPEN -> 1;
          case OPEN -> 2;
        })
        .description("Circuit breaker guarding Redis calls: 0 closed, 1 half-open, 2 open (Redis bypassed)")
        .register(registry);
    Gauge.builder("inferbus_redis_available", () -> gateway.available() ? 1 : 0)
        .description("1 while Redis answers (its pings and calls get through), 0 while this node works without it")
        .register(registry);
    return Optional.of(gateway);
  }

  /**
   * Says what Redis is used for, checks once that it answers (a warning says what that means if
   * not), and starts the pings that keep {@link #available()} current.
   */
  public Future<Void> start(String usedFor) {
    pingTimer = vertx.setPeriodic(PING_MILLIS, t -> ping());
    return send(Command.PING).transform(result -> {
      if (result.succeeded()) {
        LOG.info(() -> "Redis at " + where + ": " + usedFor);
      } else {
        pingFailing = true;
        LOG.warning(() -> "Redis at " + where + " (" + usedFor + ") does not answer (" + lastFailure + "): " + whileDown);
      }
      return Future.succeededFuture();
    });
  }

  private void ping() {
    if (pinging) {
      return;
    }
    pinging = true;
    send(Command.PING).onComplete(result -> {
      pinging = false;
      pingFailing = result.failed();
    });
  }

  /** What the service does without Redis, in this node's configuration. */
  public String whileDown() {
    return whileDown;
  }

  /** The URL without a password, for logs. */
  static String redacted(String url) {
    return url.replaceFirst("//[^@/]*@", "//***@");
  }

  /** A key in this service's namespace. */
  public String key(String... parts) {
    return keyPrefix + String.join(":", parts);
  }

  public Future<Response> send(Request request) {
    return breaker.<Response>execute(promise -> redis.send(request).onComplete(promise))
        .onFailure(failure -> {
          if (!(failure instanceof OpenCircuitException) && !(failure instanceof Response)) {
            lastFailure = describe(failure);
          }
        });
  }

  public Future<Response> send(Command command, Object... args) {
    Request request = Request.cmd(command);
    for (Object arg : args) {
      request.arg(arg.toString());
    }
    return send(request);
  }

  /** An error reply (NOSCRIPT, WRONGTYPE...) comes from a Redis that answers: only silence opens the breaker. */
  private static boolean isUnreachable(Future<Response> call) {
    return call.failed() && !(call.cause() instanceof Response);
  }

  /** Runs a Lua script by its digest, loading it first if this Redis has not seen it (after a restart, say). */
  public Future<Response> eval(LuaScript script, List<String> keys, List<String> args) {
    return send(script.call(Command.EVALSHA, script.sha1(), keys, args)).recover(failure -> {
      if (String.valueOf(failure.getMessage()).startsWith("NOSCRIPT")) {
        return send(script.call(Command.EVAL, script.source(), keys, args));
      }
      return Future.failedFuture(failure);
    });
  }

  /**
   * False from the first failed ping or once the breaker opens, until a call gets through again:
   * callers use their fallback (or refuse jobs) without trying.
   */
  public boolean available() {
    return breaker.state() == CircuitBreakerState.CLOSED && !pingFailing;
  }

  /** Why Redis is not available, for health reports: the kind of failure, never an address or a credential. */
  public String unavailableReason() {
    return "Redis is unavailable (" + lastFailure + ")";
  }

  private static String describe(Throwable failure) {
    String message = String.valueOf(failure.getMessage()).toLowerCase(java.util.Locale.ROOT);
    if (failure instanceof java.net.ConnectException || message.contains("refused")) {
      return "connection refused";
    }
    if (failure instanceof java.util.concurrent.TimeoutException || message.contains("timeout") || message.contains("timed out")) {
      return "no answer in time";
    }
    return failure.getClass().getSimpleName();
  }

  public Future<Void> close() {
    vertx.cancelTimer(pingTimer);
    breaker.close();
    return redis.close();
  }
}
