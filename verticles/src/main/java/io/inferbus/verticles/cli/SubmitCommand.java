package io.inferbus.verticles.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "submit", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Submits a job and follows it to its end: a progress bar (and the text as it is written) on stderr, the result "
        + "as JSON on stdout or in --out. Inputs: the TEXT arguments (one input each), else --file, else standard input; for embed, "
        + "each non-empty line of a file or of standard input is one input.",
        "Exit status: 0 succeeded, 1 failed, cancelled or expired, 2 usage or connection errors (and refusals)."})
public final class SubmitCommand implements Callable<Integer> {
  @Mixin
  private ClientOptions client = new ClientOptions();

  @Option(names = "--task", defaultValue = "transliterate", description = "transliterate or embed; default: ${DEFAULT-VALUE}")
  private String task;

  @Option(names = "--model", description = "a model of the task (default: the first configured)")
  private String model;

  @Option(names = "--priority", description = "critical, high, normal (default) or low")
  private String priority;

  @Option(names = "--max-new-tokens", paramLabel = "N", description = "generated tokens per input piece (transliterate)")
  private Integer maxNewTokens;

  @Option(names = "--file", paramLabel = "FILE", description = "read the input from this file")
  private Path file;

  @Option(names = "--out", paramLabel = "FILE", description = "write the result here instead of stdout")
  private Path out;

  @Option(names = {"-q", "--quiet"}, description = "no progress bar")
  private boolean quiet;

  @Parameters(paramLabel = "TEXT", arity = "0..*", description = "the input(s)")
  private List<String> texts = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    JsonObject body = new JsonObject().put("task", task).put("input", input());
    if (model != null) {
      body.put("model", model);
    }
    if (priority != null) {
      body.put("priority", priority);
    }
    if (maxNewTokens != null) {
      body.put("max_new_tokens", maxNewTokens);
    }
    InferbusClient http = new InferbusClient(client);
    HttpRequest request = http.request("/v1/jobs").header("Content-Type", "application/json").header("Accept", "text/event-stream")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())).build();
    JobFollower follower = new JobFollower(task, quiet);
    try {
      http.stream(request, follower::accept);
    } catch (InferbusClient.ServiceError e) {
      follower.abandon();
      System.err.println("inferbus: " + e.getMessage());
      return ExitCodes.USAGE_OR_CONNECTION;
    }
    return follower.finish(System.out, out);
  }

  private Object input() throws IOException {
    if (!texts.isEmpty()) {
      return texts.size() == 1 ? texts.get(0) : new JsonArray(texts);
    }
    String text = file != null ? Files.readString(file, StandardCharsets.UTF_8) : new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
    if (task.equals("embed")) {
      return new JsonArray(Arrays.stream(text.split("\n")).map(String::strip).filter(line -> !line.isEmpty()).toList());
    }
    return text.strip();
  }
}
