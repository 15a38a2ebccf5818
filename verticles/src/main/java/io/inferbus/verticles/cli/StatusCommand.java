package io.inferbus.verticles.cli;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"Prints a job's record (status, progress, result or error) as JSON.",
        "Exit status: 0 queued, running or succeeded, 1 failed, cancelled or expired, 2 unknown job, usage or connection errors."})
public final class StatusCommand implements Callable<Integer> {
  @Mixin
  private ClientOptions client = new ClientOptions();

  @Parameters(paramLabel = "ID", description = "the job's id")
  private String id;

  @Override
  public Integer call() throws Exception {
    InferbusClient http = new InferbusClient(client);
    try {
      JsonObject job = http.json(http.request("/v1/jobs/" + id).GET().build(), 200);
      System.out.println(job.encodePrettily());
      return ExitCodes.of(job.getString("status"));
    } catch (InferbusClient.ServiceError e) {
      System.err.println("inferbus: " + e.getMessage());
      return ExitCodes.USAGE_OR_CONNECTION;
    }
  }
}
