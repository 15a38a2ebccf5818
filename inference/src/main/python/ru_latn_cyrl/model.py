"""A small byte-level transformer encoder-decoder (ByT5's vocabulary: id = byte + 3, pad 0, eos 1,
unk 2; decoding starts from pad). Pre-LN layers, sinusoidal positions.

The decoder is written step-wise with an explicit key/value cache, the way the ONNX export runs
it, so torch's greedy output and ONNX Runtime's come from the same computation. Its self-attention
takes a mask over the cache, so sequences with caches of different lengths share one run; each
sequence's position is the number of unmasked cache entries before it.
"""
import math

import torch
from torch import nn

PAD, EOS, UNK = 0, 1, 2
VOCAB = 259
MAX_POSITIONS = 512


def encode(text):
    return [b + 3 for b in text.encode("utf-8")]


def decode(ids):
    return bytes(i - 3 for i in ids if i >= 3).decode("utf-8", errors="replace")


def sinusoids(n, d):
    position = torch.arange(n).unsqueeze(1).float()
    rate = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
    table = torch.zeros(n, d)
    table[:, 0::2] = torch.sin(position * rate)
    table[:, 1::2] = torch.cos(position * rate)
    return table


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))

    def split(self, x):  # (b, t, d) -> (b, h, t, hd)
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)

    def keys_values(self, x):
        return self.split(self.k(x)), self.split(self.v(x))

    def attend(self, x, k, v, bias):
        """bias: additive, broadcastable to (b, h, t, s): 0 where allowed, a large negative elsewhere."""
        q = self.split(self.q(x)) / math.sqrt(self.head_dim)
        weights = torch.softmax(q @ k.transpose(-1, -2) + bias, dim=-1)
        out = (weights @ v).transpose(1, 2).reshape(x.shape[0], x.shape[1], -1)
        return self.o(out)


def padding_bias(mask):
    """(b, s) of 1/0 -> (b, 1, 1, s) additive bias."""
    return (1.0 - mask[:, None, None, :].float()) * -1e9


class EncoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, dropout):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = Attention(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, ffn), nn.ReLU(), nn.Linear(ffn, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, bias):
        h = self.norm1(x)
        k, v = self.attn.keys_values(h)
        x = x + self.drop(self.attn.attend(h, k, v, bias))
        return x + self.drop(self.ff(self.norm2(x)))


class DecoderLayer(nn.Module):
    def __init__(self, d, heads, ffn, dropout):
        super().__init__()
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(d), nn.LayerNorm(d), nn.LayerNorm(d)
        self.self_attn, self.cross_attn = Attention(d, heads), Attention(d, heads)
        self.ff = nn.Sequential(nn.Linear(d, ffn), nn.ReLU(), nn.Linear(ffn, d))
        self.drop = nn.Dropout(dropout)

    def forward(self, x, self_k, self_v, self_bias, cross_k, cross_v, cross_bias):
        """self_k/self_v already hold this step's keys and values appended to the cache."""
        x = x + self.drop(self.self_attn.attend(self.norm1(x), self_k, self_v, self_bias))
        x = x + self.drop(self.cross_attn.attend(self.norm2(x), cross_k, cross_v, cross_bias))
        return x + self.drop(self.ff(self.norm3(x)))


class Transliterator(nn.Module):
    def __init__(self, d=192, heads=4, encoder_layers=3, decoder_layers=2, ffn=768, dropout=0.1):
        super().__init__()
        self.config = dict(d=d, heads=heads, encoder_layers=encoder_layers, decoder_layers=decoder_layers, ffn=ffn)
        self.d = d
        self.src_embed, self.tgt_embed = nn.Embedding(VOCAB, d), nn.Embedding(VOCAB, d)
        self.register_buffer("positions", sinusoids(MAX_POSITIONS, d), persistent=False)
        self.encoder = nn.ModuleList(EncoderLayer(d, heads, ffn, dropout) for _ in range(encoder_layers))
        self.decoder = nn.ModuleList(DecoderLayer(d, heads, ffn, dropout) for _ in range(decoder_layers))
        self.encoder_norm, self.decoder_norm = nn.LayerNorm(d), nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, VOCAB)
        self.drop = nn.Dropout(dropout)
        # Scaled by sqrt(d) on the way in, so unit-sized like the positions they are added to.
        nn.init.normal_(self.src_embed.weight, std=d ** -0.5)
        nn.init.normal_(self.tgt_embed.weight, std=d ** -0.5)

    # ----- encoder -----
    def encode(self, input_ids, attention_mask):
        x = self.src_embed(input_ids) * math.sqrt(self.d) + self.positions[: input_ids.shape[1]]
        x = self.drop(x)
        bias = padding_bias(attention_mask)
        for layer in self.encoder:
            x = layer(x, bias)
        return self.encoder_norm(x)

    def cross_keys_values(self, encoder_hidden_states):
        return [layer.cross_attn.keys_values(encoder_hidden_states) for layer in self.decoder]

    # ----- decoder, teacher-forced (training) -----
    def forward(self, input_ids, attention_mask, decoder_input_ids):
        memory = self.encode(input_ids, attention_mask)
        cross_bias = padding_bias(attention_mask)
        t = decoder_input_ids.shape[1]
        causal = torch.triu(torch.full((t, t), -1e9, device=input_ids.device), diagonal=1)[None, None]
        x = self.tgt_embed(decoder_input_ids) * math.sqrt(self.d) + self.positions[:t]
        x = self.drop(x)
        for layer in self.decoder:
            h = layer.norm1(x)
            k, v = layer.self_attn.keys_values(h)
            ck, cv = layer.cross_attn.keys_values(memory)
            x = x + layer.drop(layer.self_attn.attend(h, k, v, causal))
            x = x + layer.drop(layer.cross_attn.attend(layer.norm2(x), ck, cv, cross_bias))
            x = x + layer.drop(layer.ff(layer.norm3(x)))
        return self.lm_head(self.decoder_norm(x))

    # ----- decoder, one step with a cache (inference and export) -----
    def step(self, input_ids, past_self, self_mask, cross, encoder_attention_mask):
        """input_ids (b, 1); past_self: per layer (k, v) of shape (b, h, p, hd); self_mask (b, p + 1)
        marks real cache entries and this step (1) against padding (0); cross: per layer (k, v) of
        the encoder states. Returns logits (b, 1, V) and the new self cache (b, h, p + 1, hd)."""
        position = self_mask.sum(dim=1, keepdim=True) - 1  # (b, 1)
        x = self.tgt_embed(input_ids) * math.sqrt(self.d) + self.positions[position]
        self_bias = padding_bias(self_mask)
        cross_bias = padding_bias(encoder_attention_mask)
        present = []
        for layer, (pk, pv), (ck, cv) in zip(self.decoder, past_self, cross):
            h = layer.norm1(x)
            k, v = layer.self_attn.keys_values(h)
            k, v = torch.cat([pk, k], dim=2), torch.cat([pv, v], dim=2)
            present.append((k, v))
            x = layer(x, k, v, self_bias, ck, cv, cross_bias)
        return self.lm_head(self.decoder_norm(x)), present


@torch.no_grad()
def greedy(model, sources, max_new_tokens=None, batch_size=64):
    """Greedy decoding of each source text, batched, with the step-wise cache: as the export runs."""
    model.eval()
    outputs = [None] * len(sources)
    order = sorted(range(len(sources)), key=lambda i: len(sources[i].encode()))
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        ids = [encode(sources[i]) for i in idx]
        limits = [max_new_tokens or default_max_new_tokens(len(s)) for s in ids]
        width = max(len(s) for s in ids)
        input_ids = torch.tensor([s + [PAD] * (width - len(s)) for s in ids])
        mask = (input_ids != PAD).long()
        memory = model.encode(input_ids, mask)
        cross = model.cross_keys_values(memory)
        b = len(idx)
        heads, hd = model.decoder[0].self_attn.heads, model.decoder[0].self_attn.head_dim
        past = [(torch.zeros(b, heads, 0, hd), torch.zeros(b, heads, 0, hd)) for _ in model.decoder]
        token = torch.full((b, 1), PAD, dtype=torch.long)
        self_mask = torch.ones(b, 1, dtype=torch.long)
        generated = [[] for _ in idx]
        done = [False] * b
        for step in range(max(limits)):
            logits, past = model.step(token, past, self_mask, cross, mask)
            nxt = logits[:, -1].argmax(-1)
            for j in range(b):
                if not done[j]:
                    if nxt[j].item() == EOS or len(generated[j]) >= limits[j]:
                        done[j] = True
                    else:
                        generated[j].append(nxt[j].item())
            if all(done):
                break
            token = nxt[:, None]
            self_mask = torch.cat([self_mask, torch.ones(b, 1, dtype=torch.long)], dim=1)
        for j, i in enumerate(idx):
            outputs[i] = decode(generated[j])
    return outputs


def default_max_new_tokens(input_bytes):
    """Cyrillic takes two UTF-8 bytes a letter where the Latin input took one or more."""
    return 2 * input_bytes + 8
