package io.inferbus.inference.seq2seq;

import io.inferbus.inference.EngineOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Checks an export against the training framework: every input of a TSV (input TAB expected
 * output) is generated greedily by ONNX Runtime, through the same lanes and batching the service
 * uses, and must come out exactly as expected. The training script runs it after exporting.
 *
 * <pre>java ... io.inferbus.inference.seq2seq.ExportCheck MODEL_DIR EXPECTED.tsv PIECE_TOKENS</pre>
 */
public final class ExportCheck {
  private ExportCheck() {}

  /** @return the inputs whose output differed, as "input / expected / got" lines */
  public static List<String> differences(Seq2SeqModel model, List<String[]> expected, int pieceTokens) throws Exception {
    List<String> differences = new ArrayList<>();
    try (LocalGenerator generator = new LocalGenerator(model, new GenerationLane.Limits(64, 4096), pieceTokens)) {
      List<CompletableFuture<LocalGenerator.Result>> results = new ArrayList<>();
      for (String[] pair : expected) {
        results.add(generator.generate(pair[0], 0, null));
      }
      for (int i = 0; i < expected.size(); i++) {
        String got = results.get(i).get(10, TimeUnit.MINUTES).text();
        if (!got.equals(expected.get(i)[1])) {
          differences.add(expected.get(i)[0] + " / " + expected.get(i)[1] + " / " + got);
        }
      }
    }
    return differences;
  }

  public static List<String[]> readPairs(Path tsv) throws java.io.IOException {
    return Files.readAllLines(tsv, StandardCharsets.UTF_8).stream()
        .filter(line -> line.contains("\t"))
        .map(line -> line.split("\t", 2))
        .toList();
  }

  public static void main(String[] args) throws Exception {
    List<String[]> expected = readPairs(Path.of(args[1]));
    long began = System.nanoTime();
    try (Seq2SeqModel model = Seq2SeqModel.load(args[0], new EngineOptions(1, 2, "cpu", 1))) {
      List<String> differences = differences(model, expected, Integer.parseInt(args[2]));
      differences.forEach(d -> System.out.println("DIFFERS: " + d));
      System.out.printf("ONNX Runtime's greedy output equals torch's for %d of %d inputs (%d ms)%n",
          expected.size() - differences.size(), expected.size(), (System.nanoTime() - began) / 1_000_000);
      System.exit(differences.isEmpty() ? 0 : 1);
    }
  }
}
