package io.inferbus.verticles.cli;

import picocli.CommandLine.Option;

/** Where the client finds the service, and as whom it calls. */
final class ClientOptions {
  @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8080",
      description = "the service (an API node); default: ${DEFAULT-VALUE}")
  String url;

  @Option(names = "--api-key", paramLabel = "KEY", description = "sent as 'Authorization: Bearer KEY'")
  String apiKey;

  String base() {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }
}
