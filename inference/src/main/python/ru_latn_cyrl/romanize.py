"""Russian typed on a Latin keyboard: the informal romanisation the model undoes, the rule-based
peer it is compared with, how long texts are cut into pieces, and the character error rate.

The piece splitter here and io.inferbus.inference.seq2seq.TextPieces in Java cut texts the same way.
"""
import random
import re

# Each Cyrillic letter and the ways people type it; one is chosen at random per occurrence.
SCHEME = {
    "а": ["a"], "б": ["b"], "в": ["v"], "г": ["g"], "д": ["d"], "е": ["e"], "ё": ["e", "yo"],
    "ж": ["zh"], "з": ["z"], "и": ["i"], "й": ["y", "j", "i"], "к": ["k"], "л": ["l"], "м": ["m"],
    "н": ["n"], "о": ["o"], "п": ["p"], "р": ["r"], "с": ["s"], "т": ["t"], "у": ["u"], "ф": ["f"],
    "х": ["h", "kh"], "ц": ["c", "ts"], "ч": ["ch"], "ш": ["sh"], "щ": ["sch", "shch"],
    "ъ": ["", "'"], "ы": ["y"], "ь": ["", "'"], "э": ["e"], "ю": ["yu", "ju"], "я": ["ya", "ja"],
}

CYRILLIC = re.compile(r"[А-Яа-яЁё]")
LATIN = re.compile(r"[A-Za-z]")


def romanize(text, rng):
    """Cyrillic letters to one of their Latin spellings; capitals kept (whole words in capitals stay
    in capitals); everything else passes through."""
    out = []
    for word in re.split(r"(\s+)", text):
        all_caps = sum(1 for c in word if c.isalpha()) > 1 and word.upper() == word and word.lower() != word
        for ch in word:
            low = ch.lower()
            if low not in SCHEME:
                out.append(ch)
                continue
            latin = rng.choice(SCHEME[low])
            if ch != low:
                latin = latin.upper() if all_caps else latin[:1].upper() + latin[1:]
            out.append(latin)
    return "".join(out)


def number(rng):
    """A number as Russian text writes it: digits with punctuation, sometimes a Cyrillic ending."""
    def digits(least, most):
        n = rng.randint(least, most)
        return str(rng.randint(10 ** (n - 1) if n > 1 else 0, 10 ** n - 1))
    forms = [
        lambda: digits(1, 2),
        lambda: digits(3, 4),
        lambda: digits(5, 9),
        lambda: str(rng.randint(1900, 2030)),
        lambda: f"{rng.randint(0, 23)}:{rng.randint(0, 59):02d}",
        lambda: f"{digits(1, 3)}-{digits(1, 3)}",
        lambda: f"{rng.choice(['8', '+7'])}-{rng.randint(800, 999)}-{rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
        lambda: f"+7 ({rng.randint(100, 999)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}",
        lambda: f"{digits(1, 3)}{rng.choice(['.', ','])}{digits(1, 2)}",
        lambda: f"{digits(1, 3)}%",
        lambda: f"{rng.randint(1, 31):02d}.{rng.randint(1, 12):02d}.{rng.randint(1950, 2030)}",
        lambda: f"{digits(1, 3)} {rng.randint(0, 999):03d}",
        lambda: f"{digits(1, 2)}-{rng.choice(['й', 'го', 'х', 'е', 'м', 'ю', 'я', 'ми'])}",
        lambda: f"№{rng.choice(['', ' '])}{digits(1, 4)}",
    ]
    return rng.choice(forms)() + rng.choice(["", "", "", ",", "."])


def with_numbers(sentence, rng, count):
    """The sentence with count numbers put in at random word boundaries (or in place of words)."""
    words = sentence.split(" ")
    for _ in range(count):
        at = rng.randrange(len(words) + 1)
        if at < len(words) and rng.random() < 0.5:
            words[at] = number(rng)
        else:
            words.insert(at, number(rng))
    return " ".join(words)


DIGIT_RUNS = re.compile(r"[0-9]+")


def digits_kept(hypotheses, references):
    """Sentences whose digit runs (every number, in order) are exactly the reference's."""
    return sum(DIGIT_RUNS.findall(h) == DIGIT_RUNS.findall(r) for h, r in zip(hypotheses, references))


class RuleBasedPeer:
    """Longest-match reverse transliteration: each Latin spelling becomes the Cyrillic letter it
    most often stands for in the training text (so 'y' is ы or й, whichever is commoner)."""

    def __init__(self, training_texts):
        counts = {}
        for text in training_texts:
            for ch in text.lower():
                if ch in SCHEME:
                    for latin in SCHEME[ch]:
                        if latin:
                            counts.setdefault(latin, {}).setdefault(ch, 0)
                            counts[latin][ch] += 1
        self.table = {latin: max(by.items(), key=lambda kv: kv[1])[0] for latin, by in counts.items()}
        self.longest = max(len(k) for k in self.table)

    def __call__(self, text):
        out, i = [], 0
        while i < len(text):
            for n in range(self.longest, 0, -1):
                chunk = text[i:i + n]
                if len(chunk) == n and chunk.lower() in self.table:
                    cyr = self.table[chunk.lower()]
                    out.append(cyr.upper() if chunk[0].isupper() else cyr)
                    i += n
                    break
            else:
                out.append(text[i])
                i += 1
        return "".join(out)


SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def pieces(text, max_bytes):
    """Cuts a text into pieces of at most max_bytes UTF-8 bytes: at sentence ends first, then
    between words, and inside a word only when one word alone is too long. Words are joined into a
    piece only across a single space (a line break or a run of spaces always ends a piece). Returns
    (piece, separator) pairs; joining every piece's output with its separator rebuilds the text."""
    result = []
    leading = text[:len(text) - len(text.lstrip())]
    if leading:
        result.append(["", leading])
    for match in re.finditer(r"(\S+)(\s*)", text):
        word, space = match.group(1), match.group(2)
        if result and result[-1][0] and result[-1][1] == " " and not _ends_sentence(result[-1][0]) \
                and len((result[-1][0] + " " + word).encode()) <= max_bytes:
            result[-1] = [result[-1][0] + " " + word, space]
            continue
        while len(word.encode()) > max_bytes:
            cut = _cut(word, max_bytes)
            result.append([word[:cut], ""])
            word = word[cut:]
        result.append([word, space])
    return [tuple(p) for p in result]


def _ends_sentence(piece):
    return piece[-1:] in (".", "!", "?", "…")


def _cut(word, max_bytes):
    n = 0
    for i, ch in enumerate(word):
        n += len(ch.encode())
        if n > max_bytes:
            return max(1, i)
    return len(word)


def edit_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(hypotheses, references):
    errors = sum(edit_distance(h, r) for h, r in zip(hypotheses, references))
    return errors / max(1, sum(len(r) for r in references))


if __name__ == "__main__":
    rng = random.Random(1)
    print(romanize("Щука в Щёлково — это ЩУКА! Объявление: подъезд, мать, семья, Юля и Ёжик.", rng))
    print(pieces("Privet, kak dela? Eto ochen' dlinnoe predlozhenie, kotoroe nado razrezat' na chasti. Konec", 24))
