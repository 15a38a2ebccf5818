package io.inferbus.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a model is run on this node.
 *
 * @param sessions ONNX sessions loaded side by side; one batch runs on one session at a time
 * @param intraOpThreads threads each session may use for one run
 * @param device {@code cpu}; {@code cuda} or {@code cuda:N} (the CUDA provider of the onnxruntime_gpu
 *     build, GPU N); or {@code auto}: CUDA when its provider loads, else CPU (see {@link #resolve()})
 * @param rowsPerRun windows stacked into one tensor per run. The int8 model quantises its
 *     activations with one scale per tensor, so rows run together change each other's results;
 *     on CPU one row per run is also no slower (see README, performance), so 1 is the CPU default.
 */
public record EngineOptions(int sessions, int intraOpThreads, String device, int rowsPerRun) {
  private static final Pattern DEVICE = Pattern.compile("cpu|auto|cuda(?::(\\d{1,3}))?");

  /** What a device setting turned into on this host, and why, for the log. */
  public record Resolved(EngineOptions options, String note) {}

  public EngineOptions {
    if (sessions < 1) {
      throw new IllegalArgumentException("sessions must be at least 1");
    }
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be at least 1");
    }
    if (!DEVICE.matcher(device).matches()) {
      throw new IllegalArgumentException("device must be auto, cpu, cuda or cuda:N");
    }
    if (rowsPerRun < 1) {
      throw new IllegalArgumentException("rowsPerRun must be at least 1");
    }
  }

  public static boolean validDevice(String device) {
    return DEVICE.matcher(device).matches();
  }

  /** The GPU a cuda device names (0 for plain cuda), or -1 for the CPU and for auto. */
  public int cudaDevice() {
    Matcher m = DEVICE.matcher(device);
    if (!m.matches() || !device.startsWith("cuda")) {
      return -1;
    }
    return m.group(1) == null ? 0 : Integer.parseInt(m.group(1));
  }

  /**
   * The device this host can run: {@code cpu} stays; {@code auto} becomes {@code cuda:0} when the
   * CUDA execution provider loads, else {@code cpu}; {@code cuda}/{@code cuda:N} becomes
   * {@code cuda:N} or stops start-up with why.
   */
  public Resolved resolve() {
    if (device.equals("cpu")) {
      return new Resolved(this, "on cpu");
    }
    int gpu = device.equals("auto") ? 0 : cudaDevice();
    // The provider logs through the environment: probing before it exists fails for the wrong reason.
    // Its own lines go raw to stderr, outside our log format; every failure that matters reaches us
    // as an exception, so only fatal ones are let through.
    OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL);
    try (OrtSession.SessionOptions probe = new OrtSession.SessionOptions()) {
      probe.addCUDA(gpu);
      return new Resolved(withDevice("cuda:" + gpu), "on CUDA device " + gpu + (device.equals("auto") ? " (device auto: the CUDA provider loaded)" : ""));
    } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
      String why = reason(e);
      if (device.equals("auto")) {
        return new Resolved(withDevice("cpu"), "on cpu (device auto: " + why + ")");
      }
      throw new IllegalStateException("device " + device + " cannot be used: " + why
          + "; run the -Pgpu build on a host with CUDA 12 and cuDNN 9, or set the model's device to auto or cpu");
    }
  }

  private static String reason(Throwable e) {
    String message = String.valueOf(e.getMessage());
    if (message.contains("not compiled") || message.contains("not supported") || message.contains("not enabled")
        || message.contains("CUDA is not") || message.contains("Failed to find")) {
      return "this build has no CUDA provider (the -Pgpu build has one)";
    }
    return "the CUDA provider did not load (" + message.lines().findFirst().orElse("")
        + "; it needs CUDA 12 and cuDNN 9 libraries, e.g. libcudart.so.12, libcublasLt.so.12, libcudnn.so.9, on the library path)";
  }

  private EngineOptions withDevice(String resolved) {
    return new EngineOptions(sessions, intraOpThreads, resolved, rowsPerRun);
  }

  /** Options of one ONNX Runtime session as these settings ask; call on resolved options. */
  public OrtSession.SessionOptions sessionOptions() throws OrtException {
    OrtSession.SessionOptions so = new OrtSession.SessionOptions();
    so.setIntraOpNumThreads(intraOpThreads);
    so.setInterOpNumThreads(1);
    so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (cudaDevice() >= 0) {
      so.addCUDA(cudaDevice());
    }
    return so;
  }

  /** On CPU several single-threaded sessions beat one session with many threads. */
  public static EngineOptions cpuDefaults() {
    return new EngineOptions(Runtime.getRuntime().availableProcessors(), 1, "cpu", 1);
  }
}
