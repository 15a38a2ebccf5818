package io.inferbus.verticles.api;

import io.inferbus.verticles.ErrorCode;
import io.inferbus.verticles.access.Caller;
import io.inferbus.verticles.config.InferbusConfig.ApiKeyConfig;
import io.inferbus.verticles.config.InferbusConfig.AuthConfig;
import io.inferbus.verticles.config.InferbusConfig.RateLimitsConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Tells who a request comes from. Keys arrive as {@code Authorization: Bearer ...} or
 * {@code X-API-Key}; only their SHA-256 is configured or compared, and a key is never logged.
 */
final class ApiKeys {
  private final AuthConfig auth;
  private final RateLimitsConfig limits;
  private final Map<String, ApiKeyConfig> byHash;

  ApiKeys(AuthConfig auth, RateLimitsConfig limits) {
    this.auth = auth;
    this.limits = limits;
    this.byHash = auth.keys().stream().collect(Collectors.toUnmodifiableMap(ApiKeyConfig::sha256, Function.identity()));
  }

  /**
   * With no keys configured every caller is anonymous and whatever key a client sends is ignored:
   * OpenAI's client libraries always send one. With keys configured, a key must be one of them.
   */
  Caller identify(String authorization, String xApiKey, String remoteIp) {
    String key = byHash.isEmpty() ? null : presentedKey(authorization, xApiKey);
    if (key == null) {
      if (!auth.anonymous()) {
        throw new ApiError(ErrorCode.API_KEY_REQUIRED, "send an API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'");
      }
      return new Caller("anonymous", true, "anonymous", limits.anonymous(), "ip:" + remoteIp, auth.anonymousMaxPriority());
    }
    ApiKeyConfig known = byHash.get(sha256(key));
    if (known == null) {
      throw new ApiError(ErrorCode.INVALID_API_KEY, "the API key is not valid");
    }
    return new Caller(known.name(), false, known.tier(), limits.tiers().get(known.tier()), "key:" + known.sha256(), known.maxPriority());
  }

  private static String presentedKey(String authorization, String xApiKey) {
    if (authorization != null) {
      if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.substring(7).isBlank()) {
        throw new ApiError(ErrorCode.INVALID_API_KEY, "the Authorization header must be 'Bearer <key>'");
      }
      return authorization.substring(7).trim();
    }
    return xApiKey == null || xApiKey.isBlank() ? null : xApiKey.trim();
  }

  static String sha256(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8))).toLowerCase(Locale.ROOT);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
