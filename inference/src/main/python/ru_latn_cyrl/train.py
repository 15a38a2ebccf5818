"""Trains the transliterator within a wall-clock budget on this machine's CPU cores.

    python3 data.py data && python3 train.py data --minutes 55 --out checkpoint.pt

Each example is a piece as the service cuts it (words of one sentence packed up to PIECE_BYTES of
romanised input), starting at a random word of a training sentence and romanised afresh every time
(so every spelling variant is seen), or, for lexicon coverage, one hunspell word form. A quarter of
the sentences get one to three numbers put in first (phone numbers, dates, times, ordinals like 5-го):
the fortunes hold few digits, and a model trained on them alone dropped or changed digits. The learning
rate warms up, then follows a cosine over the time budget rather than over a step count.
"""
import argparse
import math
import random
import time

import torch
import torch.nn.functional as F

from model import EOS, PAD, VOCAB, Transliterator, encode, greedy
from romanize import cer, pieces, romanize, with_numbers

PIECE_BYTES = 24
WORD_FORM_SHARE = 0.2
NUMBER_SHARE = 0.25


class Examples:
    def __init__(self, data_dir, rng):
        with open(f"{data_dir}/train.txt", encoding="utf-8") as f:
            self.sentences = [line.strip() for line in f if line.strip()]
        with open(f"{data_dir}/words.txt", encoding="utf-8") as f:
            self.words = [line.strip() for line in f if line.strip()]
        self.rng = rng

    def piece(self):
        if self.rng.random() < WORD_FORM_SHARE:
            word = self.rng.choice(self.words)
            if self.rng.random() < 0.15:
                word = word[:1].upper() + word[1:]
            return romanize(word, self.rng), word
        sentence = self.rng.choice(self.sentences)
        if self.rng.random() < NUMBER_SHARE:
            sentence = with_numbers(sentence, self.rng, self.rng.randint(1, 3))
        cyrillic = sentence.split(" ")
        latin = romanize(" ".join(cyrillic), self.rng).split(" ")
        start = self.rng.randrange(len(cyrillic))
        end = start + 1
        while end < len(cyrillic) and not latin[end - 1][-1:] in ".!?…" \
                and len(" ".join(latin[start:end + 1]).encode()) <= PIECE_BYTES:
            end += 1
        src, tgt = " ".join(latin[start:end]), " ".join(cyrillic[start:end])
        if len(src.encode()) > PIECE_BYTES:  # one long word: the service cuts it, so train on the cut
            cut = pieces(src, PIECE_BYTES)[0][0]
            return cut, None
        return src, tgt

    def batches(self, batch_size, group=8):
        while True:
            pool = []
            while len(pool) < batch_size * group:
                src, tgt = self.piece()
                if tgt is not None and src.strip():
                    pool.append((encode(src), encode(tgt) + [EOS]))
            pool.sort(key=lambda p: (len(p[1]), len(p[0])))
            chunks = [pool[i:i + batch_size] for i in range(0, len(pool), batch_size)]
            self.rng.shuffle(chunks)
            for chunk in chunks:
                yield tensors(chunk)


def tensors(chunk):
    s = max(len(p[0]) for p in chunk)
    t = max(len(p[1]) for p in chunk)
    src = torch.tensor([p[0] + [PAD] * (s - len(p[0])) for p in chunk])
    tgt = torch.tensor([p[1] + [PAD] * (t - len(p[1])) for p in chunk])
    dec_in = torch.cat([torch.full((len(chunk), 1), PAD), tgt[:, :-1]], dim=1)
    return src, (src != PAD).long(), dec_in, tgt


def transliterate(model, texts):
    """Whole texts as the service does it: cut into pieces, each decoded greedily, joined back."""
    cut = [pieces(t, PIECE_BYTES) for t in texts]
    flat = [p for ps in cut for p, _ in ps if p]
    decoded = iter(greedy(model, flat, batch_size=128))
    return ["".join((next(decoded) if p else "") + sep for p, sep in ps) for ps in cut]


def read_pairs(path, limit=None):
    with open(path, encoding="utf-8") as f:
        pairs = [line.rstrip("\n").split("\t") for line in f if "\t" in line]
    return pairs[:limit] if limit else pairs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("--minutes", type=float, default=55)
    parser.add_argument("--out", default="checkpoint.pt")
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1.5e-3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eval-minutes", type=float, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(7)
    model = Transliterator(d=192, heads=4, encoder_layers=4, decoder_layers=2, ffn=768, dropout=0.0)
    print(f"parameters: {sum(p.numel() for p in model.parameters()):,}", flush=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.98), weight_decay=0.01)
    examples = Examples(args.data, random.Random(11))
    dev = read_pairs(f"{args.data}/test.tsv", 150)
    budget = args.minutes * 60
    began = time.time()
    last_eval = began
    warmup = 150
    step = 0
    for src, mask, dec_in, tgt in examples.batches(args.batch):
        elapsed = time.time() - began
        if elapsed >= budget:
            break
        progress = elapsed / budget
        lr = args.lr * min(1.0, (step + 1) / warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * progress)))
        for group in optimizer.param_groups:
            group["lr"] = lr
        model.train()
        logits = model(src, mask, dec_in)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), tgt.reshape(-1), ignore_index=PAD, label_smoothing=0.05)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        if step % 25 == 0:
            print(f"step {step} {elapsed / 60:.1f} min lr {lr:.2e} loss {loss.item():.4f}", flush=True)
        if time.time() - last_eval >= args.eval_minutes * 60:
            evaluate(model, dev, step, began)
            save(model, args.out, step, time.time() - began)
            last_eval = time.time()
    save(model, args.out, step, time.time() - began)
    evaluate(model, dev, step, began)


def evaluate(model, dev, step, began):
    hyps = transliterate(model, [latin for latin, _ in dev])
    print(f"EVAL step {step} {(time.time() - began) / 60:.1f} min: CER {cer(hyps, [c for _, c in dev]) * 100:.2f}% "
          f"on {len(dev)} held-out sentences", flush=True)


def save(model, path, step, seconds):
    torch.save({"config": model.config, "state": model.state_dict(), "steps": step, "seconds": seconds,
                "piece_bytes": PIECE_BYTES}, path)


if __name__ == "__main__":
    main()
