package io.inferbus.verticles.cli;

import io.vertx.core.json.JsonObject;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "cancel", mixinStandardHelpOptions = true,
    description = {"Cancels a job that has not ended, and prints its record as JSON.",
        "Exit status: 0 cancelled, 1 the job had already ended, 2 unknown job, usage or connection errors."})
public final class CancelCommand implements Callable<Integer> {
  @Mixin
  private ClientOptions client = new ClientOptions();

  @Parameters(paramLabel = "ID", description = "the job's id")
  private String id;

  @Override
  public Integer call() throws Exception {
    InferbusClient http = new InferbusClient(client);
    try {
      JsonObject job = http.json(http.request("/v1/jobs/" + id).DELETE().build(), 202);
      System.out.println(job.encodePrettily());
      return ExitCodes.SUCCEEDED;
    } catch (InferbusClient.ServiceError e) {
      System.err.println("inferbus: " + e.getMessage());
      return e.getMessage().contains("job_finished") ? ExitCodes.JOB_DID_NOT_SUCCEED : ExitCodes.USAGE_OR_CONNECTION;
    }
  }
}
