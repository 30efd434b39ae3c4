#!/usr/bin/python3
"""Writes the torch.optim parity fixtures that tests/test_optim_parity.cpp holds qkv to.

Run with Debian's interpreter, which has python3-torch (1.13) and python3-h5py:
    /usr/bin/python3 scripts/make_optim_fixtures.py [--out tests/fixtures]
Deterministic like scripts/make_fixtures.py (whose byte-stable HDF5 Writer it uses): a
second run writes byte-for-byte the same files.

Each file runs one optimizer for STEPS steps over the same five small parameters and the
same stored gradients, in float32 and in float64:
    optim_sgd.h5                plain SGD
    optim_sgd_nesterov.h5       SGD, momentum + Nesterov + weight decay
    optim_adam.h5               Adam with (L2) weight decay
    optim_adamw.h5              AdamW with decoupled weight decay
    optim_adamw_cosine_clip.h5  AdamW, nanoGPT's warmup + cosine schedule, grad clipping

Parameters are named like a model's, so the AdamW files test qkv's default decay rule
(decay_matrices_not_embeddings): only blocks.0.fc.weight and head.weight decay; the
embedding wte.weight, the bias and the norm weight do not (two torch param groups).
head.weight has no gradient at some steps (torch and qkv both skip it then, and its step
count, which drives Adam's bias correction, falls behind).

Layout of every file:
    /                        attributes: kind = "optim", optimizer ("sgd" | "adam" |
                             "adamw"), steps, torch_version, and the hyperparameters lr,
                             momentum, nesterov (0/1), weight_decay, beta1, beta2, eps,
                             schedule ("constant" | "cosine"), min_lr, warmup_iters,
                             lr_decay_iters, grad_clip (0 = none); floats as strings that
                             parse back to the exact double
    /initial/<name>          float64 parameters before step 1 (float32 runs round them)
    /grads/<name>            float64 [STEPS, *shape]: the gradient given at each step
    /has_grad/<name>         int64 [STEPS]: 0 where the parameter gets no gradient
    /lr                      float64 [STEPS]: the learning rate of each step
    /<dtype>/params/<name>   dtype float32 | float64: [STEPS + 1, *shape], the parameter
                             before step 1 and after every step
    /<dtype>/grad_norm       [STEPS] float64: clip_grad_norm_'s total norm (clip file only)
    /<dtype>/state/<name>/<key>  the state after the last step: exp_avg, exp_avg_sq,
                             momentum_buffer, and step (int64; not kept by torch's SGD)
"""
import argparse
import math
import os
import sys

import torch

sys.dont_write_bytecode = True  # importing make_fixtures must leave no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import DTYPES, Writer  # noqa: E402  (the byte-stable HDF5 writer)

SEED = 4321
STEPS = 20
SHAPES = {
    "wte.weight": (6, 4),
    "blocks.0.fc.weight": (5, 4),
    "blocks.0.fc.bias": (5,),
    "ln_f.weight": (4,),
    "head.weight": (3, 4),
}
NO_GRAD_STEPS = {"head.weight": {3, 4, 11}}  # 0-based steps without a gradient

DEFAULTS = dict(lr=0.0, momentum=0.0, nesterov=0, weight_decay=0.0, beta1=0.9, beta2=0.999, eps=1e-8,
                schedule="constant", min_lr=0.0, warmup_iters=0, lr_decay_iters=0, grad_clip=0.0)
CASES = {
    "optim_sgd": dict(optimizer="sgd", lr=0.1),
    "optim_sgd_nesterov": dict(optimizer="sgd", lr=0.05, momentum=0.9, nesterov=1, weight_decay=0.01),
    "optim_adam": dict(optimizer="adam", lr=0.01, beta1=0.9, beta2=0.999, weight_decay=0.05),
    "optim_adamw": dict(optimizer="adamw", lr=0.01, beta1=0.9, beta2=0.99, weight_decay=0.1),
    # Warmup over steps 0-3, cosine decay to step 15, min_lr after; the clip threshold sits
    # among the gradient norms, so some steps are clipped and some are not.
    "optim_adamw_cosine_clip": dict(optimizer="adamw", lr=0.02, beta1=0.9, beta2=0.95, weight_decay=0.1,
                                    schedule="cosine", min_lr=0.002, warmup_iters=4, lr_decay_iters=15,
                                    grad_clip=8.0),
}


def decays(name, shape):
    """qkv's default AdamW rule (optim/optimizer.h): matrices, but not embedding tables."""
    owner = name[: -len(".weight")].split(".")[-1] if name.endswith(".weight") else None
    return len(shape) >= 2 and owner not in ("wte", "wpe", "embed", "pos")


def get_lr(it, cfg):
    """nanoGPT's get_lr (current master), or the constant learning rate."""
    lr, min_lr, warmup, decay = cfg["lr"], cfg["min_lr"], cfg["warmup_iters"], cfg["lr_decay_iters"]
    if cfg["schedule"] == "constant":
        return lr
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay:
        return min_lr
    decay_ratio = (it - warmup) / (decay - warmup)
    assert 0 <= decay_ratio <= 1
    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))
    return min_lr + coeff * (lr - min_lr)


def make_inputs():
    gen = torch.Generator().manual_seed(SEED)
    initial = {}
    for name, shape in SHAPES.items():
        mean = 1.0 if name.startswith("ln_") else 0.0
        initial[name] = mean + 0.5 * torch.randn(shape, generator=gen, dtype=torch.float64)
    # Gradient sizes vary from step to step (factor 0.2 to 2), so clipping bites at some steps.
    scales = 0.2 + 1.8 * torch.rand(STEPS, generator=gen, dtype=torch.float64)
    grads, has_grad = {}, {}
    for name, shape in SHAPES.items():
        g = torch.randn((STEPS,) + shape, generator=gen, dtype=torch.float64)
        grads[name] = g * scales.view((STEPS,) + (1,) * len(shape))
        has_grad[name] = torch.tensor([0 if k in NO_GRAD_STEPS.get(name, ()) else 1 for k in range(STEPS)])
    return initial, grads, has_grad


def make_optimizer(cfg, params):
    if cfg["optimizer"] == "sgd":
        return torch.optim.SGD(list(params.values()), lr=cfg["lr"], momentum=cfg["momentum"],
                               nesterov=bool(cfg["nesterov"]), weight_decay=cfg["weight_decay"], foreach=False)
    betas = (cfg["beta1"], cfg["beta2"])
    if cfg["optimizer"] == "adam":
        return torch.optim.Adam(list(params.values()), lr=cfg["lr"], betas=betas, eps=cfg["eps"],
                                weight_decay=cfg["weight_decay"], foreach=False)
    groups = [{"params": [p for n, p in params.items() if decays(n, p.shape)], "weight_decay": cfg["weight_decay"]},
              {"params": [p for n, p in params.items() if not decays(n, p.shape)], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=cfg["lr"], betas=betas, eps=cfg["eps"], foreach=False)


def run(cfg, dtype, initial, grads, has_grad, w, prefix):
    params = {n: v.to(dtype).clone().requires_grad_() for n, v in initial.items()}
    opt = make_optimizer(cfg, params)
    history = {n: [p.detach().clone()] for n, p in params.items()}
    norms = []
    for k in range(STEPS):
        for n, p in params.items():
            p.grad = grads[n][k].to(dtype).clone() if has_grad[n][k] else None
        if cfg["grad_clip"] > 0:
            norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), cfg["grad_clip"])))
        for group in opt.param_groups:
            group["lr"] = get_lr(k, cfg)
        opt.step()
        for n, p in params.items():
            history[n].append(p.detach().clone())
    for n, states in history.items():
        w.put(f"{prefix}/params/{n}", torch.stack(states))
    if norms:
        w.put(f"{prefix}/grad_norm", torch.tensor(norms, dtype=torch.float64))
        clipped = sum(norm > cfg["grad_clip"] for norm in norms)
        assert 0 < clipped < STEPS, f"clipping should bite at some steps only, got {clipped} of {STEPS}"
    for n, p in params.items():
        for key, value in opt.state[p].items():
            if value is None:  # SGD without momentum keeps momentum_buffer = None
                continue
            if key == "step":
                value = torch.tensor(int(value.item()), dtype=torch.int64)
            w.put(f"{prefix}/state/{n}/{key}", value)
        if cfg["optimizer"] == "sgd":  # torch's SGD keeps no step count; qkv does
            w.put(f"{prefix}/state/{n}/step", torch.tensor(int(has_grad[n].sum()), dtype=torch.int64))


def write_case(path, cfg, initial, grads, has_grad):
    w = Writer(path)
    for n in SHAPES:
        w.put("initial/" + n, initial[n])
        w.put("grads/" + n, grads[n])
        w.put("has_grad/" + n, has_grad[n])
    w.put("lr", torch.tensor([get_lr(k, cfg) for k in range(STEPS)], dtype=torch.float64))
    for dname, dtype in DTYPES.items():
        run(cfg, dtype, initial, grads, has_grad, w, dname)
    attrs = {k: (repr(v) if isinstance(v, float) else v) for k, v in cfg.items()}
    attrs.update(kind="optim", steps=STEPS, seed=SEED, torch_version=torch.__version__)
    w.close(attrs)


def main():
    default_out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=default_out, help="folder for the .h5 files")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)  # one reduction order (the clip norms), so the bytes repeat
    initial, grads, has_grad = make_inputs()
    for name, case in CASES.items():
        write_case(os.path.join(args.out, name + ".h5"), dict(DEFAULTS, **case), initial, grads, has_grad)


if __name__ == "__main__":
    main()
