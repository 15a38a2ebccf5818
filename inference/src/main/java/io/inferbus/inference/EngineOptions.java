package io.inferbus.inference;

/**
 * How a model is run on this node.
 *
 * @param sessions ONNX sessions loaded side by side; one batch runs on one session at a time
 * @param intraOpThreads threads each session may use for one run
 * @param device "cpu" or "cuda" (the CUDA provider needs the onnxruntime_gpu build)
 * @param rowsPerRun windows stacked into one tensor per run. The int8 model quantises its
 *     activations with one scale per tensor, so rows run together change each other's results;
 *     on CPU one row per run is also no slower (see README, performance), so 1 is the CPU default.
 */
public record EngineOptions(int sessions, int intraOpThreads, String device, int rowsPerRun) {
  public EngineOptions {
    if (sessions < 1) {
      throw new IllegalArgumentException("sessions must be at least 1");
    }
    if (intraOpThreads < 1) {
      throw new IllegalArgumentException("intraOpThreads must be at least 1");
    }
    if (!device.equals("cpu") && !device.equals("cuda")) {
      throw new IllegalArgumentException("device must be cpu or cuda");
    }
    if (rowsPerRun < 1) {
      throw new IllegalArgumentException("rowsPerRun must be at least 1");
    }
  }

  /** Options of one ONNX Runtime session as these settings ask. */
  public ai.onnxruntime.OrtSession.SessionOptions sessionOptions() throws ai.onnxruntime.OrtException {
    ai.onnxruntime.OrtSession.SessionOptions so = new ai.onnxruntime.OrtSession.SessionOptions();
    so.setIntraOpNumThreads(intraOpThreads);
    so.setInterOpNumThreads(1);
    so.setExecutionMode(ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
    so.setOptimizationLevel(ai.onnxruntime.OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (device.equals("cuda")) {
      so.addCUDA(0);
    }
    return so;
  }

  /** On CPU several single-threaded sessions beat one session with many threads. */
  public static EngineOptions cpuDefaults() {
    return new EngineOptions(Runtime.getRuntime().availableProcessors(), 1, "cpu", 1);
  }
}
