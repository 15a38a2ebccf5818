"""Exports a trained checkpoint in the file layout Hugging Face Optimum writes for seq2seq models:

  encoder_model.onnx          in: input_ids, attention_mask        out: last_hidden_state
  decoder_model_merged.onnx   in: input_ids, encoder_hidden_states, encoder_attention_mask,
                                  decoder_attention_mask (ours, see below),
                                  past_key_values.{i}.{decoder|encoder}.{key|value}, use_cache_branch
                              out: logits, present.{i}.{decoder|encoder}.{key|value}
  config.json, generation_config.json, tokenizer_config.json, special_tokens_map.json

As in Optimum, the merged decoder is an If over use_cache_branch: false runs the first step from
the encoder states (past tensors of length 0 are ignored) and returns the encoder keys and values;
true reuses them from past_key_values and returns empty constants (0, heads, 1, head_dim) in their
place, as Optimum's merge does: the caller holds them already, and copying them out every step cost
a tenth of a batched step.

Unlike Optimum's, present.{i}.decoder.{key|value} hold only this step's entries (batch, heads, 1,
head_dim), declared so: the caller appends them to its caches, which it may pass with spare columns
masked by decoder_attention_mask. Optimum's decoder returns the grown caches whole, a copy of every
cache at every step (a quarter of a 32-row step here); the with-cache branch attends over the past
and the new entry apart instead (appended_self_cache), the same arithmetic. Unlike Optimum's, it takes decoder_attention_mask (batch,
past + 1): 1 for real cache entries and this step, 0 for padding, so sequences whose caches differ in
length share one run; a sequence's position is the count of its ones minus one.

    python3 export.py checkpoint.pt OUT_DIR [--grown-cache]

With --grown-cache the merged decoder returns the grown self-attention caches whole, in Optimum's
form (the test that the loader still runs that form uses it: src/test/resources/ru-latn-cyrl-grown-cache).
"""
import hashlib
import json
import os
import sys

import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

from model import EOS, PAD, UNK, VOCAB, Transliterator

OPSET = 14


class Encoder(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model.encode(input_ids, attention_mask)


class FirstStep(torch.nn.Module):
    """use_cache_branch = false: cross keys/values from the encoder states, an empty self cache."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, encoder_hidden_states, encoder_attention_mask, decoder_attention_mask):
        cross = self.model.cross_keys_values(encoder_hidden_states)
        b = input_ids.shape[0]
        layer = self.model.decoder[0].self_attn
        empty = torch.zeros(b, layer.heads, 0, layer.head_dim)
        past = [(empty, empty) for _ in self.model.decoder]
        logits, present = self.model.step(input_ids, past, decoder_attention_mask, cross, encoder_attention_mask)
        out = [logits]
        for (k, v), (ck, cv) in zip(present, cross):
            out += [k, v, ck, cv]
        return tuple(out)


class NextStep(torch.nn.Module):
    """use_cache_branch = true: everything from the caches."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, encoder_attention_mask, decoder_attention_mask, *past):
        n = len(self.model.decoder)
        self_past = [(past[4 * i], past[4 * i + 1]) for i in range(n)]
        cross = [(past[4 * i + 2], past[4 * i + 3]) for i in range(n)]
        logits, present = self.model.step(input_ids, self_past, decoder_attention_mask, cross, encoder_attention_mask)
        out = [logits]
        for (k, v), (ck, cv) in zip(present, cross):
            out += [k, v, ck * 1.0, cv * 1.0]  # placeholders (a node, not a bare input): merge() puts empty constants here
        return tuple(out)


def past_names(n):
    return [f"past_key_values.{i}.{kind}.{kv}" for i in range(n) for kind in ("decoder", "encoder") for kv in ("key", "value")]


def present_names(n):
    return [f"present.{i}.{kind}.{kv}" for i in range(n) for kind in ("decoder", "encoder") for kv in ("key", "value")]


def export(model, out_dir, grown_cache=False):
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    n = len(model.decoder)
    heads, hd = model.decoder[0].self_attn.heads, model.decoder[0].self_attn.head_dim
    b, s = 2, 7
    ids = torch.randint(3, VOCAB, (b, s))
    mask = torch.ones(b, s, dtype=torch.long)
    torch.onnx.export(Encoder(model), (ids, mask), f"{out_dir}/encoder_model.onnx", opset_version=OPSET,
                      input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "encoder_sequence"}, "attention_mask": {0: "batch", 1: "encoder_sequence"},
                                    "last_hidden_state": {0: "batch", 1: "encoder_sequence"}})
    with torch.no_grad():
        states = model.encode(ids, mask)
    step_ids = torch.full((b, 1), PAD, dtype=torch.long)
    first_mask = torch.ones(b, 1, dtype=torch.long)
    outputs = ["logits"] + present_names(n)
    first_axes = {"input_ids": {0: "batch"}, "encoder_hidden_states": {0: "batch", 1: "encoder_sequence"},
                  "encoder_attention_mask": {0: "batch", 1: "encoder_sequence"}, "decoder_attention_mask": {0: "batch", 1: "total_sequence"},
                  "logits": {0: "batch"}}
    for name in present_names(n):
        first_axes[name] = {0: "batch", 2: "encoder_sequence" if ".encoder." in name else "total_sequence"}
    torch.onnx.export(FirstStep(model), (step_ids, states, mask, first_mask), f"{out_dir}/decoder_first.onnx", opset_version=OPSET,
                      input_names=["input_ids", "encoder_hidden_states", "encoder_attention_mask", "decoder_attention_mask"],
                      output_names=outputs, dynamic_axes=first_axes)
    p = 3
    past = []
    for _ in range(n):
        past += [torch.randn(b, heads, p, hd), torch.randn(b, heads, p, hd), torch.randn(b, heads, s, hd), torch.randn(b, heads, s, hd)]
    next_mask = torch.ones(b, p + 1, dtype=torch.long)
    next_axes = dict(first_axes)
    del next_axes["encoder_hidden_states"]
    for name in past_names(n):
        next_axes[name] = {0: "batch", 2: "encoder_sequence" if ".encoder." in name else "past_sequence"}
    torch.onnx.export(NextStep(model), (step_ids, mask, next_mask, *past), f"{out_dir}/decoder_next.onnx", opset_version=OPSET,
                      input_names=["input_ids", "encoder_attention_mask", "decoder_attention_mask"] + past_names(n),
                      output_names=outputs, dynamic_axes=next_axes)
    merge(f"{out_dir}/decoder_first.onnx", f"{out_dir}/decoder_next.onnx", f"{out_dir}/decoder_model_merged.onnx", n, heads, hd,
          grown_cache)
    os.remove(f"{out_dir}/decoder_first.onnx")
    os.remove(f"{out_dir}/decoder_next.onnx")
    write_configs(model, out_dir)


def merge(first_path, next_path, out_path, n, heads, hd, grown_cache=False):
    """One graph, If(use_cache_branch) then: next step, else: first step. Shared weights are stored
    once, at the top level, where both branches see them."""
    first, nxt = onnx.load(first_path), onnx.load(next_path)
    initializers = {}

    def hoist(graph, prefix):
        renamed = {}
        for init in graph.initializer:
            array = numpy_helper.to_array(init)
            digest = hashlib.sha1(array.tobytes() + f"{array.shape}{array.dtype}".encode()).hexdigest()[:16]
            name = f"shared_{digest}"
            renamed[init.name] = name
            if name not in initializers:
                copy = onnx.TensorProto()
                copy.CopyFrom(init)
                copy.name = name
                initializers[name] = copy
        outer = {i.name for i in graph.input}
        outputs = [o.name for o in graph.output]
        nodes = []
        for node in graph.node:
            new = onnx.NodeProto()
            new.CopyFrom(node)
            new.name = prefix + node.name
            del new.input[:]
            for name in node.input:
                new.input.append(renamed.get(name, name if name in outer or name == "" else prefix + name))
            del new.output[:]
            for name in node.output:
                new.output.append(prefix + name)
            nodes.append(new)
        branch_outputs = []
        for o in graph.output:
            value = helper.make_tensor_value_info(prefix + o.name, o.type.tensor_type.elem_type, None)
            branch_outputs.append(value)
        for name in outputs:
            if name in outer:  # an output that is an input as it is
                nodes.append(helper.make_node("Identity", [name], [prefix + name]))
        return helper.make_graph(nodes, prefix + "branch", [], branch_outputs)

    then_branch = empty_cross_presents(hoist(nxt.graph, "next_"), heads, hd)
    if not grown_cache:
        appended_self_cache(then_branch, n)
    else_branch = hoist(first.graph, "first_")
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "decoder_sequence_length"]),
        helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch_size", "encoder_sequence_length", None]),
        helper.make_tensor_value_info("encoder_attention_mask", TensorProto.INT64, ["batch_size", "encoder_sequence_length"]),
        helper.make_tensor_value_info("decoder_attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
    ]
    for name in past_names(n):
        length = "encoder_sequence_length" if ".encoder." in name else "past_sequence_length"
        inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch_size", heads, length, hd]))
    inputs.append(helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1]))
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch_size", "decoder_sequence_length", VOCAB])]
    for name in present_names(n):
        length = "encoder_sequence_length" if ".encoder." in name else "total_sequence_length" if grown_cache else 1
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, ["batch_size", heads, length, hd]))
    condition = helper.make_node("Squeeze", ["use_cache_branch"], ["use_cache_branch_scalar"], name="squeeze_use_cache_branch")
    cond_axes = helper.make_tensor("squeeze_axes", TensorProto.INT64, [1], [0])
    condition.input.append("squeeze_axes")
    branch = helper.make_node("If", ["use_cache_branch_scalar"], [o.name for o in outputs], name="optimum::if",
                              then_branch=then_branch, else_branch=else_branch)
    graph = helper.make_graph([condition, branch], "decoder_model_merged", inputs, outputs,
                              initializer=list(initializers.values()) + [cond_axes])
    merged = helper.make_model(graph, opset_imports=first.opset_import, producer_name="inferbus export.py")
    merged.ir_version = first.ir_version
    onnx.checker.check_model(merged)
    onnx.save(merged, out_path)


def empty_cross_presents(branch, heads, hd):
    """The branch with each present.{i}.encoder.* output made an empty constant (0, heads, 1, hd),
    as in Optimum's merged decoders, and the nodes that only fed them removed."""
    for output in branch.output:
        if ".encoder." not in output.name:
            continue
        for node in [n for n in branch.node if output.name in n.output]:
            branch.node.remove(node)
        empty = helper.make_tensor(output.name + "_empty", TensorProto.FLOAT, [0, heads, 1, hd], [])
        branch.node.append(helper.make_node("Constant", [], [output.name], name=output.name + "_constant", value=empty))
    while True:
        used = {name for n in branch.node for name in n.input} | {o.name for o in branch.output}
        unused = [n for n in branch.node if not any(name in used for name in n.output)]
        if not unused:
            return branch
        for node in unused:
            branch.node.remove(node)


def appended_self_cache(branch, layers):
    """The with-cache branch with each layer's self-attention reading the past caches and the new
    entry apart (scores: past, then the new one; weights split the same way) instead of a Concat of
    the two, and present.{i}.decoder.* the new entries alone."""
    consumers = {}
    for node in branch.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    added = []
    for layer in range(layers):
        past_key, past_value = f"past_key_values.{layer}.decoder.key", f"past_key_values.{layer}.decoder.value"
        concat_key = next(n for n in branch.node if n.op_type == "Concat" and n.input[0] == past_key)
        concat_value = next(n for n in branch.node if n.op_type == "Concat" and n.input[0] == past_value)
        new_key, new_value = concat_key.input[1], concat_value.input[1]
        transpose = next(n for n in consumers[concat_key.output[0]] if n.op_type == "Transpose")
        scores = next(n for n in consumers[transpose.output[0]] if n.op_type == "MatMul")
        mix = next(n for n in consumers[concat_value.output[0]] if n.op_type == "MatMul")
        p = f"next_/decoder.{layer}/appended/"
        query, weights, all_scores, mixed = scores.input[0], mix.input[0], scores.output[0], mix.output[0]
        transpose.input[0] = past_key
        scores.output[0] = p + "past_scores"
        mix.input[:] = [p + "past_weights", past_value]
        mix.output[0] = p + "past_mix"

        def constant(name, value):
            return helper.make_node("Constant", [], [p + name], name=p + name, value=helper.make_tensor(p + name, TensorProto.INT64, [1], [value]))

        added += [
            constant("last_axis", 3), constant("zero", 0), constant("minus_one", -1), constant("end", 2**62),
            helper.make_node("Mul", [query, new_key], [p + "query_new_key"], name=p + "query_new_key"),
            helper.make_node("ReduceSum", [p + "query_new_key", p + "last_axis"], [p + "new_score"], name=p + "new_score", keepdims=1),
            helper.make_node("Concat", [p + "past_scores", p + "new_score"], [all_scores], name=p + "scores", axis=3),
            helper.make_node("Slice", [weights, p + "zero", p + "minus_one", p + "last_axis"], [p + "past_weights"], name=p + "past_weights"),
            helper.make_node("Slice", [weights, p + "minus_one", p + "end", p + "last_axis"], [p + "new_weight"], name=p + "new_weight"),
            helper.make_node("Mul", [p + "new_weight", new_value], [p + "new_mix"], name=p + "new_mix"),
            helper.make_node("Add", [p + "past_mix", p + "new_mix"], [mixed], name=p + "mix"),
        ]
        for concat, new in ((concat_key, new_key), (concat_value, new_value)):
            branch.node.remove(concat)
            added.append(helper.make_node("Identity", [new], [concat.output[0]], name=concat.name + "_new_entry"))
    branch.node.extend(added)
    produced = {name for node in branch.node for name in node.output}
    ready, ordered, pending = set(), [], list(branch.node)
    while pending:
        runnable = [n for n in pending if all(name not in produced or name in ready for name in n.input)]
        if not runnable:
            raise RuntimeError("appended_self_cache left a cycle")
        for node in runnable:
            ordered.append(node)
            ready.update(node.output)
            pending.remove(node)
    del branch.node[:]
    branch.node.extend(ordered)
    return branch


def upgrade(path, heads, hd):
    """Brings a decoder_model_merged.onnx written before empty_cross_presents() and
    appended_self_cache() in line with them."""
    merged = onnx.load(path)
    branch = next(n for n in merged.graph.node if n.op_type == "If")
    then_branch = next(a for a in branch.attribute if a.name == "then_branch").g
    layers = sum(1 for o in merged.graph.output if o.name.endswith(".decoder.key"))
    appended_self_cache(empty_cross_presents(then_branch, heads, hd), layers)
    for output in merged.graph.output:
        if ".decoder." in output.name:
            dim = output.type.tensor_type.shape.dim[2]
            dim.Clear()
            dim.dim_value = 1
    onnx.checker.check_model(merged)
    onnx.save(merged, path)


def write_configs(model, out_dir):
    c = model.config
    config = {
        "model_type": "inferbus-byte-transliterator",
        "architectures": ["Transliterator"],
        "is_encoder_decoder": True,
        "vocab_size": VOCAB, "d_model": c["d"], "num_heads": c["heads"], "d_kv": c["d"] // c["heads"],
        "num_layers": c["encoder_layers"], "num_decoder_layers": c["decoder_layers"], "d_ff": c["ffn"],
        "pad_token_id": PAD, "eos_token_id": EOS, "decoder_start_token_id": PAD,
        "max_position_embeddings": 512,
        "inferbus": {"decoder_attention_mask": True, "encoder_eos": False, "max_input_bytes": PIECE_BYTES},
    }
    json.dump(config, open(f"{out_dir}/config.json", "w"), indent=2)
    json.dump({"decoder_start_token_id": PAD, "eos_token_id": EOS, "pad_token_id": PAD}, open(f"{out_dir}/generation_config.json", "w"), indent=2)
    json.dump({"tokenizer_class": "ByT5Tokenizer", "extra_ids": 0, "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"},
              open(f"{out_dir}/tokenizer_config.json", "w"), indent=2)
    json.dump({"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"}, open(f"{out_dir}/special_tokens_map.json", "w"), indent=2)


PIECE_BYTES = 24

if __name__ == "__main__":
    if sys.argv[1] == "--upgrade":  # export.py --upgrade MODEL_DIR
        config = json.load(open(f"{sys.argv[2]}/config.json"))
        upgrade(f"{sys.argv[2]}/decoder_model_merged.onnx", config["num_heads"], config["d_kv"])
        sys.exit()
    checkpoint = torch.load(sys.argv[1])
    model = Transliterator(**checkpoint["config"], dropout=0.0)
    model.load_state_dict(checkpoint["state"])
    PIECE_BYTES = checkpoint.get("piece_bytes", PIECE_BYTES)
    export(model, sys.argv[2], grown_cache="--grown-cache" in sys.argv[3:])
    print("exported to", sys.argv[2], {f: os.path.getsize(os.path.join(sys.argv[2], f)) for f in sorted(os.listdir(sys.argv[2]))})
