package io.inferbus.verticles.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "watch", mixinStandardHelpOptions = true,
    description = {"Follows a job to its end, from its first event: progress on stderr, the result as JSON on stdout or in --out.",
        "Exit status: 0 succeeded, 1 failed, cancelled or expired, 2 usage or connection errors."})
public final class WatchCommand implements Callable<Integer> {
  @Mixin
  private ClientOptions client = new ClientOptions();

  @Option(names = "--out", paramLabel = "FILE", description = "write the result here instead of stdout")
  private Path out;

  @Option(names = {"-q", "--quiet"}, description = "no progress bar")
  private boolean quiet;

  @Parameters(paramLabel = "ID", description = "the job's id")
  private String id;

  @Override
  public Integer call() throws Exception {
    InferbusClient http = new InferbusClient(client);
    JobFollower follower = new JobFollower("job " + id.substring(0, Math.min(8, id.length())), quiet);
    try {
      http.stream(http.request("/v1/jobs/" + id + "/events").header("Accept", "text/event-stream").GET().build(), follower::accept);
    } catch (InferbusClient.ServiceError e) {
      follower.abandon();
      System.err.println("inferbus: " + e.getMessage());
      return ExitCodes.USAGE_OR_CONNECTION;
    }
    return follower.finish(System.out, out);
  }
}
