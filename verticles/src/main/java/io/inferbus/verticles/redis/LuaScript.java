package io.inferbus.verticles.redis;

import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** A Lua script shipped as a resource, run atomically by Redis. */
public record LuaScript(String source, String sha1) {

  public static LuaScript load(String resource) {
    try (InputStream in = LuaScript.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + resource);
      }
      String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return new LuaScript(source, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8))));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  Request call(Command command, String scriptOrSha, List<String> keys, List<String> args) {
    Request request = Request.cmd(command).arg(scriptOrSha).arg(keys.size());
    keys.forEach(request::arg);
    args.forEach(request::arg);
    return request;
  }
}
