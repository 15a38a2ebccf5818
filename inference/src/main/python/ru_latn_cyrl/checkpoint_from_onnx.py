"""Rebuilds a torch checkpoint from an exported model directory, so that a packaged model whose
checkpoint is gone can be evaluated again (evaluate.py) or compared with a new one.

    python3 checkpoint_from_onnx.py MODEL_DIR checkpoint.pt

A fresh model of the same config, with distinct random weights, is exported the way export.py does
it; each of that export's initialisers is matched to the parameter it came from (as it is, or
transposed), and the given export's initialiser at the same place gives the parameter's value. Both
exports come from the same graph, so the initialisers line up one to one. Used on 2026-12-01 to
evaluate the first packaged model on numbers.tsv: the rebuilt model wrote torch's stored outputs
(expected_greedy.tsv) for 1,000 of 1,000 held-out sentences.
"""
import json
import sys
import tempfile

import numpy as np
import onnx
import torch
from onnx import numpy_helper

import export
from model import Transliterator


def rebuild(model_dir):
    config_json = json.load(open(f"{model_dir}/config.json"))
    config = dict(d=config_json["d_model"], heads=config_json["num_heads"], encoder_layers=config_json["num_layers"],
                  decoder_layers=config_json["num_decoder_layers"], ffn=config_json["d_ff"])
    torch.manual_seed(3)
    fresh = Transliterator(**config, dropout=0.0)
    with torch.no_grad():
        for parameter in fresh.parameters():
            parameter.copy_(torch.randn_like(parameter))
    params = {name: value.detach().numpy() for name, value in fresh.state_dict().items()}
    scratch = tempfile.mkdtemp()
    export.export(fresh, scratch)
    state = {}
    for name in ("encoder_model", "decoder_model_merged"):
        ours = onnx.load(f"{scratch}/{name}.onnx").graph.initializer
        theirs = onnx.load(f"{model_dir}/{name}.onnx").graph.initializer
        if len(ours) != len(theirs):
            raise ValueError(f"{name}: {len(theirs)} initialisers, a fresh export has {len(ours)}")
        for mine, given in zip(ours, theirs):
            a, b = numpy_helper.to_array(mine), numpy_helper.to_array(given)
            for key, p in params.items():
                if p.shape == a.shape and np.array_equal(p, a):
                    state[key] = b
                elif p.ndim == 2 and p.T.shape == a.shape and np.array_equal(p.T, a):
                    state[key] = b.T
    missing = [key for key in params if key not in state]
    if missing:
        raise ValueError(f"no initialiser for {missing}")
    model = Transliterator(**config, dropout=0.0)
    model.load_state_dict({key: torch.from_numpy(np.array(value, copy=True)) for key, value in state.items()})
    return model


if __name__ == "__main__":
    model = rebuild(sys.argv[1])
    torch.save({"config": model.config, "state": model.state_dict(), "steps": 0, "seconds": 0}, sys.argv[2])
    print("rebuilt", sys.argv[2])
