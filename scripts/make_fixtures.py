#!/usr/bin/python3
"""Writes the PyTorch parity fixtures that tests/test_parity_torch.cpp holds qkv to.

Run with Debian's interpreter, which has python3-torch and python3-h5py:
    /usr/bin/python3 scripts/make_fixtures.py [--out tests/fixtures]
The output is deterministic: fixed seeds, one torch thread, no HDF5 timestamps, so a
second run writes byte-for-byte the same files (a [parity] test checks this).

Files (each holds one model, its weights and inputs, and its results in two precisions):
    mha_self.h5   torch.nn.MultiheadAttention (batch_first), self-attention, causal + key padding
    mha_cross.h5  the same module as cross-attention (queries x, keys/values memory), key
                  padding only (qkv's cross-attention is never causal)
                  Both mha files also hold /normalize: the attention.normalize modes at op level
    gpt.h5        the tiny GPT below, written with qkv's parameter names

Layout of every file:
    /                                 attributes: kind ("mha" | "gpt"), seed, torch_version,
                                      and the config (int64 attributes listed below)
    /inputs/<name>                    inputs; floats are float32, ids/targets/masks int64
    /params/<name>                    parameters under qkv's dotted names, PyTorch layouts
                                      (Linear weight [out, in]), float32
    /<dtype>/outputs/<name>           dtype is float32 or float64: the forward pass run in that
    /<dtype>/grads/inputs/<name>      precision (float32 inputs and params widened exactly for
    /<dtype>/grads/params/<name>      float64), and the gradients of its loss

mha files: attributes d_model, n_head, batch, T, S, causal (0/1), cross (0/1).
    inputs: x [B,T,d], memory [B,S,d] (cross only), key_padding_mask [B,S] (1 = padded key),
            R [B,T,d]
    params: {q,k,v,o}_proj.{weight,bias} (q/k/v split from in_proj_weight / in_proj_bias)
    outputs: out [B,T,d], attn_weights [B,H,T,S] (per head), loss [] = sum(out * R)
    grads/inputs: x, memory (cross only)
mha files, /normalize (the op-level cases of NORMALIZE_CASES, for the file's key padding):
    inputs: q [B,H,T,3], k [B,H,S,3], v [B,H,S,2], R [B,H,T,2]; scale 1/sqrt(3)
    <dtype>/outputs/<case>/{weights [B,H,T,S], out [B,H,T,2]}, loss = sum(out * R)
    <dtype>/grads/<case>/{q,k,v}
gpt file: attributes vocab_size, n_embd, n_layer, n_head, block_size, batch, T.
    Pre-LN blocks, exact GELU, causal, LayerNorm eps 1e-5, no dropout, head tied to wte.
    inputs: ids [B,T], targets [B,T]
    params: wte.weight, wpe.weight, blocks.N.{ln_1,attn.{q,k,v,o}_proj,ln_2,mlp.fc,mlp.proj}.*,
            ln_f.* (no lm_head: it is wte.weight)
    outputs: logits [B,T,V], loss [] = mean cross-entropy over B*T targets
"""
import argparse
import copy
import ctypes
import math
import os
import sys

import h5py
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SEED = 1234


def fill_(p, gen, std, mean=0.0):
    """Every parameter gets random values (biases and LayerNorm too), so that a mistake
    in any of them shows in the comparison."""
    with torch.no_grad():
        p.copy_(mean + std * torch.randn(p.shape, generator=gen))


def minimal_header_dcpl():
    """Dataset creation properties without the 256 bytes HDF5 reserves in every dataset
    header for attributes we never write: ~15% of these small files. h5py 3.7 does not
    wrap H5Pset_dset_no_attrs_hint (HDF5 >= 1.10.5), so it is called from the HDF5 that
    h5py's extension module links (dlsym searches its dependencies)."""
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    try:
        no_attrs_hint = ctypes.CDLL(h5py.h5p.__file__).H5Pset_dset_no_attrs_hint
    except AttributeError:
        print("make_fixtures: HDF5 < 1.10.5: files will be larger than the committed ones", file=sys.stderr)
        return dcpl
    no_attrs_hint.argtypes = [ctypes.c_int64, ctypes.c_uint]
    if no_attrs_hint(dcpl.id, 1) < 0:
        raise RuntimeError("H5Pset_dset_no_attrs_hint failed")
    return dcpl


class Writer:
    """An HDF5 file whose bytes depend only on what is written: no timestamps (on the root
    group too), no creation-order tracking, fixed-length string attributes (a variable-length
    one costs a 4 KB global heap), and datasets written in sorted order."""

    def __init__(self, path):
        fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
        fapl.set_libver_bounds(h5py.h5f.LIBVER_LATEST, h5py.h5f.LIBVER_LATEST)  # compact headers
        fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
        fcpl.set_obj_track_times(False)
        self.f = h5py.File(h5py.h5f.create(path.encode(), h5py.h5f.ACC_TRUNC, fapl=fapl, fcpl=fcpl))
        self.items = {}

    def put(self, name, value):
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        self.items[name] = np.array(value, order="C")  # a copy

    def close(self, attrs):
        for key in sorted(attrs):
            v = attrs[key]
            self.f.attrs[key] = np.int64(v) if isinstance(v, int) else np.bytes_(str(v))
        dcpl = minimal_header_dcpl()
        for name in sorted(self.items):
            self._group(os.path.dirname(name))
            self.f.create_dataset(name, data=self.items[name], track_times=False, dcpl=dcpl)
        self.f.close()

    def _group(self, path):
        if not path or path in self.f:
            return
        self._group(os.path.dirname(path))
        gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
        gcpl.set_obj_track_times(False)
        h5py.h5g.create(self.f.id, path.encode(), gcpl=gcpl)


DTYPES = {"float32": torch.float32, "float64": torch.float64}


def base_attrs(kind):
    return {"kind": kind, "seed": SEED, "torch_version": torch.__version__}


# --- (a) torch.nn.MultiheadAttention -------------------------------------------------

D, H, B, T, S = 8, 2, 2, 4, 5


def split_in_proj(in_w, in_b, out_w, out_b):
    """PyTorch packs q/k/v into in_proj_weight [3d, d]; qkv names them separately."""
    named = {"o_proj.weight": out_w, "o_proj.bias": out_b}
    for i, name in enumerate(["q_proj", "k_proj", "v_proj"]):
        rows = slice(i * D, (i + 1) * D)
        named[name + ".weight"], named[name + ".bias"] = in_w[rows], in_b[rows]
    return named


def mha_fixture(path, cross):
    gen = torch.Generator().manual_seed(SEED + (1 if cross else 0))
    mha = nn.MultiheadAttention(D, H, batch_first=True, bias=True)
    fill_(mha.in_proj_weight, gen, 0.5)
    fill_(mha.in_proj_bias, gen, 0.2)
    fill_(mha.out_proj.weight, gen, 0.5)
    fill_(mha.out_proj.bias, gen, 0.2)
    x = torch.randn(B, T, D, generator=gen)
    memory = torch.randn(B, S, D, generator=gen) if cross else None
    R = torch.randn(B, T, D, generator=gen)
    n_keys = S if cross else T
    # Batch 0 sees every key, batch 1 has its last keys padded. Key 0 is never padded,
    # so with the causal mask no row is fully masked (torch gives NaN there).
    padding = torch.zeros(B, n_keys, dtype=torch.int64)
    padding[1, n_keys - (2 if cross else 1):] = 1
    causal = None if cross else torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)

    w = Writer(path)
    w.put("inputs/x", x)
    if cross:
        w.put("inputs/memory", memory)
    w.put("inputs/key_padding_mask", padding)
    w.put("inputs/R", R)
    p = mha
    for name, value in split_in_proj(p.in_proj_weight, p.in_proj_bias, p.out_proj.weight, p.out_proj.bias).items():
        w.put("params/" + name, value)

    for dname, dtype in DTYPES.items():
        m = copy.deepcopy(mha).to(dtype)
        xd = x.to(dtype, copy=True).requires_grad_()
        md = memory.to(dtype, copy=True).requires_grad_() if cross else xd
        out, weights = m(xd, md, md, key_padding_mask=padding.bool(), attn_mask=causal,
                         need_weights=True, average_attn_weights=False)
        loss = (out * R.to(dtype)).sum()
        loss.backward()
        w.put(dname + "/outputs/out", out)
        w.put(dname + "/outputs/attn_weights", weights)
        w.put(dname + "/outputs/loss", loss)
        w.put(dname + "/grads/inputs/x", xd.grad)
        if cross:
            w.put(dname + "/grads/inputs/memory", md.grad)
        grads = split_in_proj(m.in_proj_weight.grad, m.in_proj_bias.grad, m.out_proj.weight.grad,
                              m.out_proj.bias.grad)
        for name, g in grads.items():
            w.put(dname + "/grads/params/" + name, g)
    normalize_fixture(w, cross, padding)
    attrs = base_attrs("mha")
    attrs.update(d_model=D, n_head=H, batch=B, T=T, S=n_keys, causal=int(not cross), cross=int(cross))
    w.close(attrs)


# --- (a') the attention.normalize modes, op level --------------------------------------

NE, NEV = 3, 2  # head sizes of q/k and v
# (case, normalize, causal, sigmoid bias or None, padded keys also masked as queries).
# Self-attention: query i is position i, so its key padding is also its query padding.
NORMALIZE_CASES = {
    False: [("queries", "queries", False, None, True), ("queries_causal", "queries", True, None, True),
            ("sigmoid_causal", "sigmoid", True, None, False), ("sigmoid_bias", "sigmoid", True, -1.5, False)],
    True: [("queries", "queries", False, None, False), ("sigmoid", "sigmoid", False, None, False),
           ("sigmoid_bias", "sigmoid", False, -1.5, False)],
}


def normalize_weights(scores, allowed, kind, bias):
    """docs/design.md section 3: 0 at masked entries; queries: softmax over the allowed
    queries of a key (a fully masked column is NaN here, then 0); sigmoid: sigmoid(s + b),
    b = -log(allowed keys of the row) unless given."""
    if kind == "queries":
        w = torch.softmax(scores.masked_fill(~allowed, float("-inf")), dim=-2)
    else:
        n = allowed.sum(-1, keepdim=True).clamp(min=1).to(scores.dtype)
        w = torch.sigmoid(scores + (-torch.log(n) if bias is None else bias))
    return torch.where(allowed, w, torch.zeros((), dtype=scores.dtype))


def normalize_fixture(w, cross, padding):
    gen = torch.Generator().manual_seed(SEED + 10 + (1 if cross else 0))  # apart from the module's draws
    n_keys = padding.shape[1]
    q = torch.randn(B, H, T, NE, generator=gen)
    k = torch.randn(B, H, n_keys, NE, generator=gen)
    v = torch.randn(B, H, n_keys, NEV, generator=gen)
    R = torch.randn(B, H, T, NEV, generator=gen)
    for name, value in dict(q=q, k=k, v=v, R=R).items():
        w.put("normalize/inputs/" + name, value)
    key_ok = ~padding.bool()[:, None, None, :]
    for case, kind, causal, bias, query_padding in NORMALIZE_CASES[cross]:
        allowed = key_ok.expand(B, 1, T, n_keys)
        if causal:
            allowed = allowed & ~torch.triu(torch.ones(T, n_keys, dtype=torch.bool), diagonal=1)
        if query_padding:
            allowed = allowed & ~padding.bool()[:, None, :, None]
        for dname, dtype in DTYPES.items():
            qd, kd, vd = (t.to(dtype, copy=True).requires_grad_() for t in (q, k, v))
            weights = normalize_weights(qd @ kd.transpose(-2, -1) / math.sqrt(NE), allowed, kind, bias)
            out = weights @ vd
            (out * R.to(dtype)).sum().backward()
            for t in (weights, out, qd.grad, kd.grad, vd.grad):
                assert torch.isfinite(t).all(), case
            w.put(f"normalize/{dname}/outputs/{case}/weights", weights)
            w.put(f"normalize/{dname}/outputs/{case}/out", out)
            for name, t in dict(q=qd, k=kd, v=vd).items():
                w.put(f"normalize/{dname}/grads/{case}/{name}", t.grad)


# --- (b, c) a tiny GPT with qkv's parameter names --------------------------------------

V, C, L, NH, BLOCK, GB, GT = 11, 16, 2, 2, 8, 2, 8


def layer_norm(d, bias=True):
    """nn.LayerNorm (eps 1e-5), without its bias when bias=False: torch 1.13's LayerNorm has
    no switch for that, but F.layer_norm takes bias=None."""
    ln = nn.LayerNorm(d, eps=1e-5)
    if not bias:
        ln.bias = None
    return ln


# The classes take their sizes as arguments (defaults: this file's fixture) so that
# scripts/torch_gpt.py builds any qkv GPT config from them.
class Attention(nn.Module):
    def __init__(self, d=C, n_head=NH, bias=True):
        super().__init__()
        self.n_head = n_head
        self.q_proj, self.k_proj, self.v_proj, self.o_proj = (nn.Linear(d, d, bias=bias) for _ in range(4))

    def forward(self, x):
        b, t, d = x.shape
        dh = d // self.n_head
        heads = lambda y: y.view(b, t, self.n_head, dh).transpose(1, 2)  # [B,H,T,dh]
        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(dh)
        future = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        att = F.softmax(scores.masked_fill(future, float("-inf")), dim=-1)
        return self.o_proj((att @ v).transpose(1, 2).reshape(b, t, d))


class MLP(nn.Module):
    def __init__(self, d=C, bias=True):
        super().__init__()
        self.fc, self.proj = nn.Linear(d, 4 * d, bias=bias), nn.Linear(4 * d, d, bias=bias)

    def forward(self, x):
        return self.proj(F.gelu(self.fc(x)))  # exact (erf) GELU


class Block(nn.Module):
    def __init__(self, d=C, n_head=NH, bias=True):
        super().__init__()
        self.ln_1, self.attn = layer_norm(d, bias), Attention(d, n_head, bias)
        self.ln_2, self.mlp = layer_norm(d, bias), MLP(d, bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """tie=False adds lm_head.weight [vocab, d] (qkv's name for an untied head)."""

    def __init__(self, vocab=V, d=C, n_layer=L, n_head=NH, block_size=BLOCK, bias=True, tie=True):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(vocab, d), nn.Embedding(block_size, d)
        self.blocks = nn.ModuleList(Block(d, n_head, bias) for _ in range(n_layer))
        self.ln_f = layer_norm(d, bias)
        self.lm_head = None if tie else nn.Linear(d, vocab, bias=False)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.blocks:
            x = block(x)
        x = self.ln_f(x)
        return self.lm_head(x) if self.lm_head is not None else x @ self.wte.weight.t()  # tied head


def gpt_fixture(path):
    gen = torch.Generator().manual_seed(SEED + 2)
    model = GPT()
    for name, p in model.named_parameters():
        if name.startswith(("wte", "wpe")):
            fill_(p, gen, 0.5)
        elif ".ln_" in name or name.startswith("ln_f"):
            fill_(p, gen, 0.1, mean=1.0 if name.endswith("weight") else 0.0)
        else:
            fill_(p, gen, 0.3 if name.endswith("weight") else 0.1)
    ids = torch.randint(0, V, (GB, GT), generator=gen)
    targets = torch.randint(0, V, (GB, GT), generator=gen)

    w = Writer(path)
    w.put("inputs/ids", ids)
    w.put("inputs/targets", targets)
    for name, p in model.named_parameters():
        w.put("params/" + name, p)
    for dname, dtype in DTYPES.items():
        m = copy.deepcopy(model).to(dtype)
        logits = m(ids)
        loss = F.cross_entropy(logits.view(-1, V), targets.view(-1))
        loss.backward()
        w.put(dname + "/outputs/logits", logits)
        w.put(dname + "/outputs/loss", loss)
        for name, p in m.named_parameters():
            w.put(dname + "/grads/params/" + name, p.grad)
    attrs = base_attrs("gpt")
    attrs.update(vocab_size=V, n_embd=C, n_layer=L, n_head=NH, block_size=BLOCK, batch=GB, T=GT)
    w.close(attrs)


def main():
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=default_out, help="folder for the .h5 files")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # one reduction order, so the bytes repeat
    mha_fixture(os.path.join(args.out, "mha_self.h5"), cross=False)
    mha_fixture(os.path.join(args.out, "mha_cross.h5"), cross=True)
    gpt_fixture(os.path.join(args.out, "gpt.h5"))


if __name__ == "__main__":
    main()
