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
 */
public final class RedisGateway {
  private static final Logger LOG = Logger.getLogger(RedisGateway.class.getName());

  private final Redis redis;
  private final CircuitBreaker breaker;
  private final String keyPrefix;
  private volatile String lastFailure = "";

  private RedisGateway(Redis redis, CircuitBreaker breaker, String keyPrefix) {
    this.redis = redis;
    this.breaker = breaker;
    this.keyPrefix = keyPrefix;
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
    RedisGateway gateway = new RedisGateway(redis, breaker, config.keyPrefix());
    breaker.openHandler(v -> LOG.warning(() -> gateway.unavailableReason() + "; falling back until it answers again"));
    breaker.closeHandler(v -> LOG.info("Redis answers again"));
    Gauge.builder("inferbus_redis_breaker_state", () -> switch (breaker.state()) {
          case CLOSED -> 0;
          case HALF_OPEN -> 1;
          case OPEN -> 2;
        })
        .description("Circuit breaker guarding Redis calls: 0 closed, 1 half-open, 2 open (Redis bypassed)")
        .register(registry);
    return Optional.of(gateway);
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

  /** False while the breaker is open: callers use their fallback without trying. */
  public boolean available() {
    return breaker.state() != CircuitBreakerState.OPEN;
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
    breaker.close();
    return redis.close();
  }
}
