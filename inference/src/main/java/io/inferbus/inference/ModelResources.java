package io.inferbus.inference;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

final class ModelResources {
  private static final String CLASSPATH_PREFIX = "classpath:";

  private ModelResources() {}

  static InputStream open(String location) throws IOException {
    if (location.startsWith(CLASSPATH_PREFIX)) {
      String name = location.substring(CLASSPATH_PREFIX.length());
      InputStream in = ModelResources.class.getClassLoader().getResourceAsStream(name);
      if (in == null) {
        throw new IOException("no resource " + name + " on the classpath");
      }
      return in;
    }
    return Files.newInputStream(Path.of(location));
  }

  static byte[] read(String location) throws IOException {
    try (InputStream in = open(location)) {
      return in.readAllBytes();
    }
  }
}
