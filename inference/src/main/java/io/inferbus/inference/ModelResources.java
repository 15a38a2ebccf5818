package io.inferbus.inference;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** Model files from the classpath ({@code classpath:NAME}) or the file system. */
public final class ModelResources {
  private static final String CLASSPATH_PREFIX = "classpath:";

  private ModelResources() {}

  public static InputStream open(String location) throws IOException {
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

  public static boolean exists(String location) {
    if (location.startsWith(CLASSPATH_PREFIX)) {
      return ModelResources.class.getClassLoader().getResource(location.substring(CLASSPATH_PREFIX.length())) != null;
    }
    return Files.isRegularFile(Path.of(location));
  }

  /** A file inside a model directory given as a location. */
  public static String child(String directory, String name) {
    return directory.endsWith("/") ? directory + name : directory + "/" + name;
  }

  public static byte[] read(String location) throws IOException {
    try (InputStream in = open(location)) {
      return in.readAllBytes();
    }
  }
}
