package io.inferbus.loadtest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two builds of the service compared on noop jobs over SSE (as in {@link OrchestrationBenchmark}),
 * clustered (one API JVM + one worker JVM) or in one JVM, in alternating turns: this machine drifts
 * by 10-50 % within minutes, so each turn of one build is followed by a turn of the other. Each turn
 * starts fresh JVMs, warms them up, then measures jobs/s and the CPU time each JVM spent per job.
 *
 * <pre>TurnsBenchmark JAR_A JAR_B [turns per build] [seconds measured] [clients] [clustered|in-process]</pre>
 *
 * <p>To compare settings rather than builds, give the same jar twice and B's settings as
 * environment variables: {@code -Dbench.b.env=INFERBUS_REDIS_JOB_STORE=true,INFERBUS_REDIS_URL=redis://127.0.0.1:6379}.
 * {@code -Dbench.env=...} sets both builds' environment the same way.
 */
public final class TurnsBenchmark {
  private static final String CONF = OrchestrationBenchmark.CONF;
  private static final int WARM_UP_SECONDS = OrchestrationBenchmark.WARM_UP_SECONDS;

  /** In one JVM, all its CPU time counts as the API's. */
  private record Turn(double jobsPerSecond, double p99, double apiCpuMillisPerJob, double workerCpuMillisPerJob) {}

  public static void main(String[] args) throws Exception {
    List<Path> jars = List.of(Path.of(args[0]).toAbsolutePath(), Path.of(args[1]).toAbsolutePath());
    int turns = args.length > 2 ? Integer.parseInt(args[2]) : 3;
    int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 20;
    int clients = args.length > 4 ? Integer.parseInt(args[4]) : 50;
    boolean clustered = args.length <= 5 || !args[5].equals("in-process");
    Path logs = Files.createTempDirectory("inferbus-turns");
    Path conf = logs.resolve("noop.yaml");
    Files.writeString(conf, CONF);
    System.out.printf("A = %s%nB = %s%n%s, %d turns each, %d s warm-up + %d s measured, %d clients (logs in %s)%n",
        jars.get(0), jars.get(1), clustered ? "clustered (API JVM + worker JVM)" : "in-process (one JVM)", turns, WARM_UP_SECONDS, seconds,
        clients, logs);
    Map<String, String> ofBoth = settings("bench.env");
    Map<String, String> ofB = new HashMap<>(ofBoth);
    ofB.putAll(settings("bench.b.env"));
    List<Map<String, String>> settings = List.of(ofBoth, ofB);
    if (!ofBoth.isEmpty()) {
      System.out.println("settings of both: " + ofBoth);
    }
    if (!ofB.equals(ofBoth)) {
      System.out.println("B's settings: " + ofB);
    }
    List<List<Turn>> results = List.of(new ArrayList<>(), new ArrayList<>());
    for (int t = 1; t <= turns; t++) {
      for (int which = 0; which < 2; which++) {
        String name = (which == 0 ? "A" : "B") + t;
        Turn turn = clustered ? clusteredTurn(jars.get(which), settings.get(which), conf, logs, name, clients, seconds)
            : inProcessTurn(jars.get(which), settings.get(which), conf, logs, name, clients, seconds);
        results.get(which).add(turn);
        System.out.printf("%-3s %7.1f jobs/s  p99 %6.1f ms  CPU per job: API %5.2f ms, worker %5.2f ms%n", name, turn.jobsPerSecond(),
            turn.p99(), turn.apiCpuMillisPerJob(), turn.workerCpuMillisPerJob());
      }
    }
    double a = ClosedLoopLoad.median(results.get(0).stream().map(Turn::jobsPerSecond).toList());
    double b = ClosedLoopLoad.median(results.get(1).stream().map(Turn::jobsPerSecond).toList());
    System.out.printf("median jobs/s: A %.1f, B %.1f -> B / A %.2f%n", a, b, b / a);
    System.out.printf("median CPU per job (API + worker): A %.2f ms, B %.2f ms%n",
        ClosedLoopLoad.median(results.get(0).stream().map(r -> r.apiCpuMillisPerJob() + r.workerCpuMillisPerJob()).toList()),
        ClosedLoopLoad.median(results.get(1).stream().map(r -> r.apiCpuMillisPerJob() + r.workerCpuMillisPerJob()).toList()));
  }

  /** Environment variables from a system property {@code K=V,K2=V2}. */
  static Map<String, String> settings(String property) {
    Map<String, String> env = new HashMap<>();
    for (String setting : System.getProperty(property, "").split(",")) {
      int equals = setting.indexOf('=');
      if (equals > 0) {
        env.put(setting.substring(0, equals), setting.substring(equals + 1));
      }
    }
    return env;
  }

  private static Turn inProcessTurn(Path jar, Map<String, String> settings, Path conf, Path logs, String name, int clients, int seconds)
      throws Exception {
    int port = ServiceProcess.freePort();
    Map<String, String> env = new HashMap<>(settings);
    env.put("INFERBUS_HTTP_PORT", String.valueOf(port));
    try (ServiceProcess node = ServiceProcess.start(jar, List.of("-conf", conf.toString()), env, logs.resolve(name + ".log"))) {
      ServiceProcess.awaitReady(port);
      OrchestrationBenchmark.load(port, clients, WARM_UP_SECONDS);
      Duration before = node.cpuTime();
      ClosedLoopLoad.Figures figures = OrchestrationBenchmark.load(port, clients, seconds);
      return new Turn(figures.perSecond(), figures.p99(), node.cpuTime().minus(before).toMillis() / (double) figures.requests(), 0);
    }
  }

  private static Turn clusteredTurn(Path jar, Map<String, String> settings, Path conf, Path logs, String name, int clients, int seconds)
      throws Exception {
    int apiPort = ServiceProcess.freePort();
    Map<String, String> cluster = new HashMap<>(settings);
    cluster.putAll(Map.of("INFERBUS_CLUSTER_PORT", "32000", "INFERBUS_CLUSTER_MEMBERS", "127.0.0.1:32000-32009",
        "INFERBUS_HTTP_PORT", String.valueOf(apiPort), "INFERBUS_MANAGEMENT_PORT", "0"));
    try (ServiceProcess api = ServiceProcess.start(jar, List.of("--cluster", "--role", "api", "-conf", conf.toString()), cluster,
            logs.resolve(name + "-api.log"));
         ServiceProcess worker = ServiceProcess.start(jar, List.of("--cluster", "--role", "worker", "-conf", conf.toString()), cluster,
            logs.resolve(name + "-worker.log"))) {
      ServiceProcess.awaitReady(apiPort);
      OrchestrationBenchmark.load(apiPort, clients, WARM_UP_SECONDS);
      Duration apiBefore = api.cpuTime();
      Duration workerBefore = worker.cpuTime();
      ClosedLoopLoad.Figures figures = OrchestrationBenchmark.load(apiPort, clients, seconds);
      double jobs = figures.requests();
      return new Turn(figures.perSecond(), figures.p99(), api.cpuTime().minus(apiBefore).toMillis() / jobs,
          worker.cpuTime().minus(workerBefore).toMillis() / jobs);
    }
  }

}
