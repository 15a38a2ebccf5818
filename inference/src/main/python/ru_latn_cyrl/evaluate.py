"""Character error rate of the trained model and of the rule-based peer, on the held-out fortunes and
on manual pages (a different kind of text) and on held-out sentences with numbers put in (how many
keep every number exactly), and torch's greedy outputs for the export check.

    python3 evaluate.py checkpoint.pt data OUT_DIR

writes OUT_DIR/evaluation.json and OUT_DIR/expected_greedy.tsv (romanised input TAB torch's output,
for every held-out fortune sentence: ONNX Runtime must write exactly the same).
"""
import json
import sys
import time

import torch

from model import Transliterator
from romanize import DIGIT_RUNS, RuleBasedPeer, cer, digits_kept
from train import read_pairs, transliterate


def main(checkpoint_path, data_dir, out_dir):
    torch.set_num_threads(2)
    checkpoint = torch.load(checkpoint_path)
    model = Transliterator(**checkpoint["config"], dropout=0.0)
    model.load_state_dict(checkpoint["state"])
    with open(f"{data_dir}/train.txt", encoding="utf-8") as f:
        peer = RuleBasedPeer(line.strip() for line in f)
    report = {"training_steps": checkpoint["steps"], "training_minutes": round(checkpoint["seconds"] / 60, 1),
              "parameters": sum(p.numel() for p in model.parameters())}
    for name in ("test", "manpages", "numbers"):
        pairs = read_pairs(f"{data_dir}/{name}.tsv")
        latin = [l for l, _ in pairs]
        cyrillic = [c for _, c in pairs]
        began = time.time()
        outputs = transliterate(model, latin)
        report[name] = {
            "sentences": len(pairs),
            "characters": sum(len(c) for c in cyrillic),
            "model_cer": round(cer(outputs, cyrillic), 5),
            "rule_based_cer": round(cer([peer(l) for l in latin], cyrillic), 5),
            "sentences_exact": sum(o == c for o, c in zip(outputs, cyrillic)),
            "sentences_with_digits": sum(bool(DIGIT_RUNS.search(c)) for c in cyrillic),
            "digits_kept": digits_kept(outputs, cyrillic),
            "seconds": round(time.time() - began, 1),
        }
        print(name, report[name], flush=True)
        if name == "test":
            with open(f"{out_dir}/expected_greedy.tsv", "w", encoding="utf-8") as f:
                for l, o in zip(latin, outputs):
                    f.write(l + "\t" + o + "\n")
    with open(f"{out_dir}/evaluation.json", "w") as f:
        json.dump(report, f, indent=2, ensure_ascii=False)


if __name__ == "__main__":
    main(*sys.argv[1:4])
