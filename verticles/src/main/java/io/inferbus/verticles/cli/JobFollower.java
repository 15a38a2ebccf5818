package io.inferbus.verticles.cli;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TreeMap;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Follows one job's events on the terminal: a progress bar on stderr (inputs done of total, and for
 * generated text the end of what is written so far), then the result as JSON on stdout or in a file.
 */
final class JobFollower {
  private final String task;
  private final boolean quiet;
  private ProgressBar bar;
  private final TreeMap<Integer, String> texts = new TreeMap<>();
  private JsonObject result;
  private String status = "queued";
  private JsonObject error;

  JobFollower(String task, boolean quiet) {
    this.task = task;
    this.quiet = quiet;
  }

  /** The bar appears with the job's first event, not before: a refused request shows none. */
  private void ensureBar() {
    if (bar == null && !quiet) {
      bar = new ProgressBarBuilder()
          .setTaskName(task)
          .setInitialMax(1)
          .setStyle(ProgressBarStyle.ASCII)
          .setUpdateIntervalMillis(100)
          .setConsumer(new ConsoleProgressBarConsumer(System.err, 110))
          .hideEta()
          .build();
    }
  }

  /** The request failed before or during the stream: the bar goes, the caller says why. */
  void abandon() {
    if (bar != null) {
      bar.close();
    }
  }

  void accept(InferbusClient.Event event) {
    ensureBar();
    JsonObject data = event.data();
    switch (event.type()) {
      case "queued" -> {
        status = "queued";
        if (data.containsKey("position")) {
          message("queued: place " + (data.getInteger("position") + 1)
              + (data.containsKey("estimated_wait_ms") ? String.format(", about %.1f s", data.getLong("estimated_wait_ms") / 1000.0) : ""));
        } else {
          message(data.containsKey("reason") ? "queued again (" + data.getString("reason") + ")" : "queued");
        }
      }
      case "started" -> {
        status = "running";
        message("running on " + data.getString("worker"));
      }
      case "progress" -> {
        if (bar != null) {
          bar.maxHint(Math.max(1, data.getInteger("total", 1)));
          bar.stepTo(data.getInteger("done", 0));
        }
        if (data.containsKey("text")) {
          texts.put(data.getInteger("index", 0), data.getString("text"));
          message(tail(String.join(" | ", texts.values()), 60));
        }
      }
      case "succeeded" -> {
        status = "succeeded";
        result = data.getJsonObject("result");
        if (bar != null) {
          bar.stepTo(Math.max(1, bar.getMax()));
          message("done");
        }
      }
      case "failed", "expired" -> {
        status = event.type();
        error = data.getJsonObject("error");
      }
      case "cancelled" -> status = "cancelled";
      default -> {
      }
    }
  }

  private void message(String text) {
    if (bar != null) {
      bar.setExtraMessage(text);
    }
  }

  private static String tail(String text, int length) {
    String flat = text.replace('\n', ' ');
    return flat.length() <= length ? flat : "…" + flat.substring(flat.length() - length);
  }

  /** Ends the bar, writes the result, and answers the exit status. */
  int finish(PrintStream out, Path outFile) throws IOException {
    if (bar != null) {
      bar.close();
    }
    if (result != null) {
      String json = result.encodePrettily();
      if (outFile != null) {
        Files.writeString(outFile, json + "\n", StandardCharsets.UTF_8);
      } else {
        out.println(json);
      }
      return ExitCodes.SUCCEEDED;
    }
    System.err.println("job " + status + (error != null ? ": " + error.getString("code") + ": " + error.getString("message") : ""));
    return status.equals("queued") || status.equals("running") ? ExitCodes.USAGE_OR_CONNECTION : ExitCodes.of(status);
  }
}
