"""Builds the training text and the held-out test sets from Debian packages:
- fortunes-ru: ~20,000 fortunes (jokes, quotes, aphorisms). Held out by source text: every fortune
  whose hash falls in the test bucket goes to the test split whole, and none of its sentences is
  trained on (duplicates elsewhere are dropped from training too).
- hunspell-ru: word forms expanded by unmunch, for lexicon coverage (training only).
- manpages-ru: Russian manual pages, a second held-out text of a different kind (technical prose).
- numbers.tsv: held-out fortune sentences with one or two numbers put in (romanize.with_numbers),
  to measure whether digits pass through unchanged.

    python3 data.py OUT_DIR
writes train.txt (one sentence a line), words.txt (word forms), test.tsv, manpages.tsv and numbers.tsv
(romanised input TAB Cyrillic reference, fixed seed).
"""
import glob
import gzip
import hashlib
import os
import random
import re
import subprocess
import sys

from romanize import CYRILLIC, LATIN, SENTENCE_END, romanize, with_numbers

FORTUNES = "/usr/share/games/fortunes/ru"
HUNSPELL = "/usr/share/hunspell/ru_RU"
MANPAGES = "/usr/share/man/ru"
TEST_BUCKETS = 20  # 1 in 20 fortunes is held out
TEST_SENTENCES = 1000
MANPAGE_SENTENCES = 500
NUMBER_SENTENCES = 300


def fortunes():
    for path in sorted(glob.glob(os.path.join(FORTUNES, "*"))):
        if path.endswith((".dat", ".u8")) or os.path.islink(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            for fortune in re.split(r"^%\s*$", f.read(), flags=re.M):
                text = " ".join(fortune.split())
                if text:
                    yield text


def sentences(text):
    for sentence in SENTENCE_END.split(text):
        sentence = sentence.strip()
        if 2 <= len(sentence) <= 400 and CYRILLIC.search(sentence) and not LATIN.search(sentence) \
                and "\ufffd" not in sentence:
            yield sentence


def held_out(text):
    return int(hashlib.sha1(text.encode()).hexdigest(), 16) % TEST_BUCKETS == 0


def manpage_sentences():
    found = []
    for path in sorted(glob.glob(os.path.join(MANPAGES, "man*", "*.gz"))):
        with gzip.open(path, "rt", encoding="utf-8", errors="replace") as f:
            lines = [l for l in f.read().splitlines() if not l.startswith((".", "'"))]
        text = " ".join(lines)
        text = re.sub(r"\\f[BIRP]|\\f\(..|\\[/,&]|\\\*.", "", text).replace("\\-", "-").replace("\\(em", "—")
        text = re.sub(r"\\.", "", text)
        for sentence in sentences(" ".join(text.split())):
            if len(sentence) >= 20 and not re.search(r"[\\<>{}\[\]=_|/]", sentence):
                found.append(sentence)
    return sorted(set(found))


def word_forms():
    out = subprocess.run(["unmunch", HUNSPELL + ".dic", HUNSPELL + ".aff"], capture_output=True).stdout
    words = set()
    for line in out.decode("utf-8", errors="replace").splitlines():
        word = line.strip()
        if word and CYRILLIC.search(word) and re.fullmatch(r"[А-Яа-яЁё-]+", word):
            words.add(word)
    return sorted(words)


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    train, test = set(), set()
    for text in fortunes():
        (test if held_out(text) else train).update(sentences(text))
    train -= test
    rng = random.Random(13)
    test_sample = rng.sample(sorted(test), min(TEST_SENTENCES, len(test)))
    with open(os.path.join(out_dir, "train.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(sorted(train)) + "\n")
    write_pairs(os.path.join(out_dir, "test.tsv"), test_sample, random.Random(17))
    man = manpage_sentences()
    write_pairs(os.path.join(out_dir, "manpages.tsv"), random.Random(19).sample(man, min(MANPAGE_SENTENCES, len(man))),
                random.Random(23))
    numbers_rng = random.Random(31)
    numbered = [with_numbers(s, numbers_rng, numbers_rng.randint(1, 2))
                for s in random.Random(29).sample(sorted(test), NUMBER_SENTENCES)]
    write_pairs(os.path.join(out_dir, "numbers.tsv"), numbered, random.Random(37))
    words = word_forms()
    with open(os.path.join(out_dir, "words.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(words) + "\n")
    print(f"train sentences {len(train)}, held-out fortune sentences {len(test)} (test.tsv: {len(test_sample)}), "
          f"manpage sentences {len(man)}, word forms {len(words)}")


def write_pairs(path, sentences_, rng):
    with open(path, "w", encoding="utf-8") as f:
        for sentence in sentences_:
            f.write(romanize(sentence, rng) + "\t" + sentence + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "data")
