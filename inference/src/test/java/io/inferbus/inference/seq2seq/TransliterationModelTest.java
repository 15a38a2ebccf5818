package io.inferbus.inference.seq2seq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.inferbus.inference.EngineOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The packaged ru-latn-cyrl model on ONNX Runtime, through the lanes the workers use. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransliterationModelTest {
  static final String MODEL = "classpath:ru-latn-cyrl";
  static final int PIECE_TOKENS = 24;
  private Seq2SeqModel model;
  private LocalGenerator generator;

  @BeforeAll
  void load() throws Exception {
    model = Seq2SeqModel.load(MODEL, new EngineOptions(1, 1, "cpu", 1));
    generator = new LocalGenerator(model, new GenerationLane.Limits(64, 4096), PIECE_TOKENS);
  }

  @AfterAll
  void close() {
    generator.close();
    model.close();
  }

  private String alone(String latin) throws Exception {
    return generator.generate(latin, 0, null).get(60, TimeUnit.SECONDS).text();
  }

  /** torch's greedy outputs of every held-out sentence, stored by the training script (evaluate.py). */
  @Test
  void greedyOutputEqualsTorchsOnTheWholeHeldOutSplit() throws Exception {
    List<String[]> expected = ExportCheck.readPairs(Path.of("src/test/resources/ru-latn-cyrl/expected_greedy.tsv"));
    assertTrue(expected.size() >= 1000, "held-out sentences: " + expected.size());
    List<String> differences = ExportCheck.differences(model, expected, PIECE_TOKENS);
    assertEquals(List.of(), differences);
  }

  @Test
  void writesCyrillicForRomanisedRussian() throws Exception {
    assertEquals("Привет, как дела?", alone("Privet, kak dela?"));
    assertEquals("Это очень интересно", alone("Eto ochen interesno"), "э, and a soft sign the writer left out");
    assertEquals("щука", alone("shchuka"));
    assertEquals("Москва - столица России.", alone("Moskva - stolitsa Rossii."));
  }

  /**
   * The model trained on the fortunes alone wrote 'дом 15, квартира 2' and 'тел. -6000-65-55-53-5'
   * for the first two, and kept every number of only 18 of the 300 sentences in numbers.tsv.
   */
  @Test
  void numbersPassThroughUnchanged() throws Exception {
    assertEquals("дом 15, квартира 42", alone("dom 15, kvartira 42"));
    assertEquals("тел. 8-800-555-35-35", alone("tel. 8-800-555-35-35"));
    assertEquals("номер 7 и 8", alone("nomer 7 i 8"));
    assertEquals("42", alone("42"));
    List<String[]> numbered = ExportCheck.readPairs(Path.of("src/test/resources/ru-latn-cyrl/numbers.tsv"));
    List<CompletableFuture<LocalGenerator.Result>> outputs = new ArrayList<>();
    for (String[] sentence : numbered) {
      outputs.add(generator.generate(sentence[0], 0, null));
    }
    List<String> changed = new ArrayList<>();
    for (int i = 0; i < numbered.size(); i++) {
      String written = outputs.get(i).get(60, TimeUnit.SECONDS).text();
      if (!digitRuns(written).equals(digitRuns(numbered.get(i)[1]))) {
        changed.add(numbered.get(i)[1] + " -> " + written);
      }
    }
    assertEquals(300, numbered.size());
    assertTrue(changed.size() <= 6, "numbers changed in " + changed.size() + " of 300 (evaluation.json: 4): " + changed);
  }

  private static final Pattern DIGIT_RUNS = Pattern.compile("[0-9]+");

  private static List<String> digitRuns(String text) {
    return DIGIT_RUNS.matcher(text).results().map(MatchResult::group).toList();
  }

  @Test
  void aSentenceBatchedWithThirtyOneOthersGivesTheSameTextAsAlone() throws Exception {
    List<String[]> sentences = ExportCheck.readPairs(Path.of("src/test/resources/ru-latn-cyrl/test.tsv")).subList(0, 32);
    String target = sentences.get(7)[0];
    String byItself = alone(target);
    List<CompletableFuture<LocalGenerator.Result>> together = new ArrayList<>();
    for (String[] sentence : sentences) {
      together.add(generator.generate(sentence[0], 0, null));
    }
    assertEquals(byItself, together.get(7).get(60, TimeUnit.SECONDS).text());
    for (int i = 0; i < together.size(); i++) {
      assertEquals(alone(sentences.get(i)[0]), together.get(i).get(60, TimeUnit.SECONDS).text(), sentences.get(i)[0]);
    }
  }

  /**
   * Optimum's own merged decoders take no decoder_attention_mask: sequences that joined at different
   * times then run as separate batches in each step. Same texts either way.
   */
  @Test
  void withoutMixingCacheLengthsEachJoiningGroupRunsApartAndWritesTheSameTexts() throws Exception {
    List<String[]> sentences = ExportCheck.readPairs(Path.of("src/test/resources/ru-latn-cyrl/test.tsv")).subList(40, 56);
    try (Seq2SeqModel apart = Seq2SeqModel.load(MODEL, new EngineOptions(1, 1, "cpu", 1));
         LocalGenerator cohorts = new LocalGenerator(withGroupsApart(apart), new GenerationLane.Limits(64, 64), PIECE_TOKENS)) {
      List<CompletableFuture<LocalGenerator.Result>> results = new ArrayList<>();
      for (String[] sentence : sentences) {
        results.add(cohorts.generate(sentence[0], 0, null));
      }
      for (int i = 0; i < sentences.size(); i++) {
        assertEquals(alone(sentences.get(i)[0]), results.get(i).get(60, TimeUnit.SECONDS).text(), sentences.get(i)[0]);
      }
    }
  }

  /**
   * The packaged decoder returns each step's new cache entries for the lane to append; one in
   * Optimum's form returns the grown caches whole (the same weights, exported with
   * {@code export.py --grown-cache} into src/test/resources/ru-latn-cyrl-grown-cache). Same texts either way.
   */
  @Test
  void aDecoderReturningTheGrownCachesWholeWritesTheSameTexts(@TempDir Path dir) throws Exception {
    Path packaged = Path.of("src/main/resources/ru-latn-cyrl");
    try (var files = Files.list(packaged)) {
      for (Path file : files.filter(f -> !f.getFileName().toString().equals(Seq2SeqModel.DECODER)).toList()) {
        Files.copy(file, dir.resolve(file.getFileName()));
      }
    }
    Files.copy(Path.of("src/test/resources/ru-latn-cyrl-grown-cache", Seq2SeqModel.DECODER), dir.resolve(Seq2SeqModel.DECODER));
    List<String[]> expected = ExportCheck.readPairs(Path.of("src/test/resources/ru-latn-cyrl/expected_greedy.tsv")).subList(0, 300);
    try (Seq2SeqModel grown = Seq2SeqModel.load(dir.toString(), new EngineOptions(1, 1, "cpu", 1))) {
      assertTrue(model.appendsSelfCache());
      assertFalse(grown.appendsSelfCache());
      assertEquals(List.of(), ExportCheck.differences(grown, expected, PIECE_TOKENS));
    }
  }

  private static Seq2SeqModel withGroupsApart(Seq2SeqModel model) {
    model.keepJoiningGroupsApart();
    return model;
  }

  @Test
  void streamedDeltasAreWholeCharactersAndAddUpToTheFinalText() throws Exception {
    List<String> deltas = new CopyOnWriteArrayList<>();
    String text = "Sverhdlinnoeslovobezprobelov, i eshchyo mnogo slov v odnom dlinnom predlozhenii! A potom eshchyo odno.";
    LocalGenerator.Result result = generator.generate(text, 0, deltas::add).get(60, TimeUnit.SECONDS);
    assertEquals(result.text(), String.join("", deltas));
    assertTrue(deltas.size() > 20, "streamed piece by piece: " + deltas.size() + " deltas");
    for (String delta : deltas) {
      assertFalse(delta.isEmpty());
      assertTrue(delta.codePoints().noneMatch(cp -> cp == 0xfffd || (cp >= 0xd800 && cp <= 0xdfff)), "whole characters only: " + delta);
    }
    assertTrue(result.generatedTokens() > result.text().length(), "two bytes a Cyrillic letter");
  }

  @Test
  void aCancelledSequenceWritesNothingAfterTheStepItWasCancelledIn() throws Exception {
    Sequence sequence = new Sequence(1, "long", model.codec().encode("dlinnoe slovo"), 300, new int[0], model.codec().newDecoder());
    AtomicInteger afterCancel = new AtomicInteger();
    CountDownLatch cancelled = new CountDownLatch(1);
    Queue<Sequence> waiting = new ConcurrentLinkedQueue<>(List.of(sequence));
    GenerationLane[] lane = new GenerationLane[1];
    lane[0] = new GenerationLane(model, 0, takingFrom(waiting, new CopyOnWriteArrayList<>()), new GenerationLane.Listener() {
      @Override
      public void onTurn(List<GenerationLane.Emission> emissions, GenerationLane.TurnStats stats) {
        if (cancelled.getCount() == 0) {
          afterCancel.addAndGet(emissions.size());
        } else if (!emissions.isEmpty()) {
          sequence.cancel();
          cancelled.countDown();
        }
      }

      @Override
      public void onFailure(List<Sequence> failed, Exception error) {}
    }, new GenerationLane.Limits(8, 1024));
    Thread thread = new Thread(lane[0]);
    thread.start();
    try {
      assertTrue(cancelled.await(30, TimeUnit.SECONDS));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (lane[0].active() != 0) {
        assertTrue(System.nanoTime() < deadline, "the lane let go of the cancelled sequence");
        Thread.onSpinWait();
      }
      assertEquals(0, afterCancel.get(), "nothing written after the cancel");
      assertTrue(sequence.generated() < 10, "stopped early: " + sequence.generated() + " tokens");
    } finally {
      lane[0].stop();
      thread.join(10_000);
    }
  }

  /** Driven turn by turn on this thread, with no prefill thread: groups handed to it stay queued where the test can see them. */
  @Test
  void roomThatOpensWhileAGroupIsPrefilledIsHandedToTheNextGroupAtOnce() throws Exception {
    Queue<Sequence> waiting = new ConcurrentLinkedQueue<>();
    List<Integer> asked = new ArrayList<>();
    GenerationLane lane = new GenerationLane(model, 0, takingFrom(waiting, asked), new GenerationLane.Listener() {
      @Override
      public void onTurn(List<GenerationLane.Emission> emissions, GenerationLane.TurnStats stats) {}

      @Override
      public void onFailure(List<Sequence> failed, Exception error) {}
    }, new GenerationLane.Limits(8, 1024));
    int[] ids = {0};
    java.util.function.IntConsumer arrive = n -> {
      for (int i = 0; i < n; i++) {
        waiting.add(new Sequence(++ids[0], "s" + ids[0], model.codec().encode("dlinnoe predlozhenie"), 300, new int[0], model.codec().newDecoder()));
      }
    };

    arrive.accept(2);
    assertTrue(lane.turn());
    assertEquals(2, lane.active(), "an idle lane prefills the first arrivals itself");
    arrive.accept(3);
    lane.turn();
    assertEquals(5, lane.active(), "three more handed to the prefill thread");
    arrive.accept(4);
    lane.turn();
    assertEquals(8, lane.active(), "the next group is taken while the first is still being prefilled");
    assertEquals(1, waiting.size());
    assertEquals(3, asked.get(asked.size() - 1), "no more than the room left");

    assertEquals(6, lane.nextPrefillGroup().size(), "both queued groups are prefilled as one");
    assertTrue(lane.nextPrefillGroup().isEmpty());
  }

  /** A lane's source over {@code waiting}, in arrival order; {@code asked} records how many the lane asked for each time. */
  private static GenerationLane.Source takingFrom(Queue<Sequence> waiting, List<Integer> asked) {
    return new GenerationLane.Source() {
      @Override
      public List<Sequence> take(int maxSequences, int maxInputTokens) {
        asked.add(maxSequences);
        List<Sequence> taken = new ArrayList<>();
        for (Sequence next; taken.size() < maxSequences && (next = waiting.poll()) != null; ) {
          taken.add(next);
        }
        return taken;
      }

      @Override
      public int waiting() {
        return waiting.size();
      }
    };
  }
}
