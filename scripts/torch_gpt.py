#!/usr/bin/python3
"""qkv's GPT in PyTorch: evaluates a qkv checkpoint, or trains a qkv config on the same batches.

Run with Debian's interpreter, which has python3-torch and python3-h5py, from the folder
qkv ran in (corpus paths and data-cache/ are relative to it):

    /usr/bin/python3 scripts/torch_gpt.py eval --checkpoint out/gpt-tiny/ckpt-002000.h5 [--batches N]
    /usr/bin/python3 scripts/torch_gpt.py train --config configs/gpt-tiny.toml [--set section.key=value ...]

eval builds the GPT from the checkpoint's config (the `config` attribute), loads every
/params/<name> by name and prints the mean loss over the validation batches qkv's
evaluation uses: eval_iters batches from Generator(train.seed ^ 0x5eed).

train trains the config in PyTorch as qkv's trainer does: the same corpus and character
vocabulary, the same training batches (qkv's generator ported below), AdamW with qkv's
decay rule, nanoGPT's warmup + cosine schedule, clipping by global norm, the same
evaluations, and a metrics.csv with qkv's columns. The initial weights are qkv's own by
default (--init qkv replays qkv's seeded initialisation exactly); --init torch draws the
same distributions from torch's generator instead; --init-from FILE starts from a qkv
checkpoint's parameters.

The model is the GPT of scripts/make_fixtures.py (pre-LN, exact GELU, LayerNorm eps 1e-5,
causal attention scaled by 1/sqrt(dh), qkv's parameter names), so only what that model has
is supported: learned positions, the GELU MLP of width 4 * n_embd, the default attention,
the char tokenizer, and no dropout when training.
"""
import argparse
import csv
import math
import os
import sys
import time
import tomllib

import h5py
import numpy as np
import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures  # noqa: E402  (the GPT module lives there)


def fail(message):
    print(f"torch_gpt.py: {message}", file=sys.stderr)
    sys.exit(2)


# --- qkv's random generator (base/generator.cpp) ------------------------------------

MASK64 = (1 << 64) - 1


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


class Generator:
    """xoshiro256** seeded through splitmix64, and Box-Muller normals with the spare kept:
    the same numbers as qkv::Generator for the same seed."""

    def __init__(self, seed):
        x = seed & MASK64
        self.s = []
        for _ in range(4):
            x = (x + 0x9E3779B97F4A7C15) & MASK64
            z = x
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
            self.s.append(z ^ (z >> 31))
        self.spare = None

    def next_u64(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def uniform(self):
        return (self.next_u64() >> 11) * 2.0**-53

    def normal(self):
        if self.spare is not None:
            value, self.spare = self.spare, None
            return value
        u1, u2 = self.uniform(), self.uniform()
        u1 = max(u1, 1e-300)  # log(0) guard
        r, th = math.sqrt(-2.0 * math.log(u1)), 2.0 * math.pi * u2
        self.spare = r * math.sin(th)
        return r * math.cos(th)

    def randn(self, shape, mean, std):
        """qkv's randn: float32(mean + std * normal()) in row-major order."""
        n = math.prod(shape)
        values = np.array([self.normal() for _ in range(n)], dtype=np.float64)
        return torch.from_numpy((mean + std * values).astype(np.float32).reshape(shape))


# --- the run config (config/config.h) -----------------------------------------------------

DEFAULTS = {
    "data": {"corpus": "kjv", "tokenizer": "char", "vocab_size": 0},
    "model": {"kind": "gpt", "n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 64, "dropout": 0.0,
              "bias": True, "tie_embeddings": True, "positions": "learned", "mlp": "gelu", "mlp_hidden": 0},
    "attention": {"q_proj": True, "k_proj": True, "v_proj": True, "o_proj": True, "qk": "separate",
                  "score": "dot", "kv_heads": 0, "normalize": "keys", "causal": True, "merged": False},
    "train": {"max_iters": 2000, "batch_size": 12, "grad_accum": 1, "eval_interval": 250, "eval_iters": 20,
              "log_interval": 10, "checkpoint_interval": 500, "keep_checkpoints": 2, "seed": 1337, "threads": 0,
              "bucket_mb": 4, "replica_check_interval": 100,
              "out": "out"},
    "optim": {"name": "adamw", "lr": 1e-3, "min_lr": 1e-4, "warmup_iters": 100, "lr_decay_iters": 2000,
              "schedule": "cosine", "beta1": 0.9, "beta2": 0.99, "weight_decay": 0.1, "decay_embeddings": False,
              "grad_clip": 1.0, "momentum": 0.9},
}


def set_key(cfg, section, key, value, where):
    """Strict, as qkv: an unknown key or a wrong type is an error naming it."""
    if section not in DEFAULTS or key not in DEFAULTS[section]:
        fail(f"config: unknown key {section}.{key} ({where})")
    default = DEFAULTS[section][key]
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)  # a number key takes an integer too
    if type(value) is not type(default):
        fail(f"config: {section}.{key} must be {type(default).__name__}, got {value!r} ({where})")
    cfg[section][key] = value


def parse_config(text, origin):
    cfg = {section: dict(keys) for section, keys in DEFAULTS.items()}
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        fail(f"config: {origin}: {e}")
    for section, keys in tables.items():
        if not isinstance(keys, dict):
            fail(f"config: {origin}: '{section}' must be a section [{section}]")
        for key, value in keys.items():
            set_key(cfg, section, key, value, origin)
    return cfg


def apply_override(cfg, assignment):
    """--set section.key=value; the value is TOML (3, 1e-3, true, "x") or a bare word."""
    name, eq, value = assignment.partition("=")
    section, dot, key = name.partition(".")
    if not eq or not dot:
        fail(f"config: --set expects section.key=value, got '{assignment}'")
    try:
        parsed = tomllib.loads("v = " + value)["v"]
    except tomllib.TOMLDecodeError:
        parsed = value
    set_key(cfg, section, key, parsed, "from --set")


def check_supported(cfg, training):
    """What the PyTorch model does not have is an error, not a silently different model."""
    m, a = cfg["model"], cfg["attention"]
    wanted = {"model.kind": (m["kind"], "gpt"), "model.positions": (m["positions"], "learned"),
              "model.mlp": (m["mlp"], "gelu"), "data.tokenizer": (cfg["data"]["tokenizer"], "char")}
    wanted.update({f"attention.{k}": (a[k], v) for k, v in DEFAULTS["attention"].items() if k != "kv_heads"})
    for key, (got, expected) in wanted.items():
        if got != expected:
            fail(f"only {key} = {expected!r} is supported, the config has {got!r}")
    if m["mlp_hidden"] not in (0, 4 * m["n_embd"]):
        fail(f"only model.mlp_hidden = 4 * n_embd is supported, the config has {m['mlp_hidden']}")
    if a["kv_heads"] not in (0, m["n_head"]):
        fail(f"only attention.kv_heads = n_head is supported, the config has {a['kv_heads']}")
    if m["n_embd"] % m["n_head"]:
        fail(f"model.n_embd {m['n_embd']} is not divisible by model.n_head {m['n_head']}")
    if training and m["dropout"] != 0:
        fail(f"training supports model.dropout = 0 only, the config has {m['dropout']}")
    if training and cfg["optim"]["name"] not in ("adamw", "adam"):
        fail(f"training supports optim.name adamw and adam, the config has {cfg['optim']['name']!r}")


# --- corpus and tokenizer (data/corpus.cpp, data/tokenizer.cpp) --------------------------

DATASETS = ("kjv", "web", "sparv")  # data/bible.cpp's modules


def read_text(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        fail(f"corpus: cannot read {path}: {e.strerror}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"corpus: {path} is not UTF-8 text (byte offset {e.start})")
    return text[1:] if text.startswith("\ufeff") else text  # a byte order mark is dropped


def load_corpus(spec, data_dir):
    """(train, val, test) texts as qkv's load_corpus reads them."""
    if spec in DATASETS or os.path.isdir(spec):
        folder = os.path.join(data_dir, spec) if spec in DATASETS else spec
        if not os.path.exists(os.path.join(folder, "val.txt")):
            hint = f": prepare it with `qkv data {spec}`" if spec in DATASETS else ""
            fail(f"corpus: {folder} has no val.txt{hint}")
        test = os.path.join(folder, "test.txt")
        return (read_text(os.path.join(folder, "train.txt")), read_text(os.path.join(folder, "val.txt")),
                read_text(test) if os.path.exists(test) else "")
    if not os.path.exists(spec):
        fail(f"corpus: no such file: {spec}")
    text = read_text(spec)
    cut = int(len(text) * (1.0 - 0.1))  # the last 10% of code points is validation
    return text[:cut], text[cut:], ""


BLOB_MAGIC = "qkv-tokenizer 1 "


def char_vocab_of_blob(blob):
    """The characters of a char tokenizer blob, in id order."""
    kind, _, payload = blob.partition("\n")
    if not kind.startswith(BLOB_MAGIC):
        fail(f"tokenizer: not a qkv tokenizer blob: {blob[:30]!r}")
    if kind[len(BLOB_MAGIC):] != "char":
        fail(f"only the char tokenizer is supported, the checkpoint has {kind[len(BLOB_MAGIC):]!r}")
    return payload


def encode(text, vocab):
    """Character ids: code points looked up in the sorted vocabulary."""
    table = np.array([ord(c) for c in vocab], dtype=np.uint32)
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    ids = np.searchsorted(table, points)
    missing = (ids >= len(table)) | (table[np.minimum(ids, len(table) - 1)] != points)
    if missing.any():
        i = int(np.argmax(missing))
        fail(f"char tokenizer: U+{points[i]:04X} at character {i} is not in the vocabulary")
    return ids.astype(np.int64)


# --- batches (data/batcher.h) -------------------------------------------------------------

def get_batch(tokens, batch_size, block_size, gen):
    """Row b starts at gen.next_u64() % (n - T): x = tokens[s, s+T), y = tokens[s+1, s+T+1)."""
    n_starts = len(tokens) - block_size
    if n_starts <= 0:
        fail(f"batcher: a split has {len(tokens)} tokens; block_size {block_size} needs at least {block_size + 1}")
    starts = np.array([gen.next_u64() % n_starts for _ in range(batch_size)], dtype=np.int64)
    rows = starts[:, None] + np.arange(block_size)
    return torch.from_numpy(tokens[rows]), torch.from_numpy(tokens[rows + 1])


# --- the model --------------------------------------------------------------------------

def build_gpt(cfg, vocab_size):
    m = cfg["model"]
    return make_fixtures.GPT(vocab_size, m["n_embd"], m["n_layer"], m["n_head"], m["block_size"], m["bias"],
                             m["tie_embeddings"])


def is_residual_projection(name):
    return name.endswith(("attn.o_proj.weight", "mlp.proj.weight"))


def qkv_init_draws(model, gen):
    """Yields (name, parameter, generator) for every randomly initialised parameter, in the
    order qkv draws them (nn/gpt.cpp, nn/attention.cpp, nn/mlp.cpp): wte and wpe from the
    model's generator; per block, attention forks six slot generators (q, k, v, o,
    bilinear, score_v) and the MLP three (fc, gate, proj) from it, each seeded with one
    next_u64(); then lm_head from the model's generator again. Lazily: a fork must happen
    after the draws before it."""
    params = dict(model.named_parameters())
    yield "wte.weight", params["wte.weight"], gen
    yield "wpe.weight", params["wpe.weight"], gen
    for i in range(len(model.blocks)):
        slots = [Generator(gen.next_u64()) for _ in range(6)]
        for k, p in enumerate("qkvo"):
            yield f"blocks.{i}.attn.{p}_proj.weight", params[f"blocks.{i}.attn.{p}_proj.weight"], slots[k]
        fc, _gate, proj = (Generator(gen.next_u64()) for _ in range(3))
        yield f"blocks.{i}.mlp.fc.weight", params[f"blocks.{i}.mlp.fc.weight"], fc
        yield f"blocks.{i}.mlp.proj.weight", params[f"blocks.{i}.mlp.proj.weight"], proj
    if "lm_head.weight" in params:
        yield "lm_head.weight", params["lm_head.weight"], gen


@torch.no_grad()
def init_weights(model, n_layer, seed, source):
    """qkv's initialisation: normal(0, 0.02), residual projections normal(0, 0.02 / sqrt(2 n_layer)),
    zero biases, LayerNorm weights one. source "qkv" draws the very numbers qkv draws
    (its generators seeded from train.seed); "torch" draws from torch's generator."""
    out_std = 0.02 / math.sqrt(2.0 * n_layer)
    torch_gen = torch.Generator().manual_seed(seed)
    for name, p, gen in qkv_init_draws(model, Generator(seed)):
        std = out_std if is_residual_projection(name) else 0.02
        p.copy_(gen.randn(tuple(p.shape), 0.0, std) if source == "qkv"
                else torch.normal(0.0, std, p.shape, generator=torch_gen))
    for name, p in model.named_parameters():
        if name.endswith(".bias"):
            p.zero_()
        elif ".ln_" in name or name.startswith("ln_f"):
            p.fill_(1.0)


@torch.no_grad()
def load_params(model, path):
    """Every parameter by its name from /params; a missing, extra or misshapen one is an error."""
    with h5py.File(path, "r") as f:
        stored = set(f["params"].keys()) if "params" in f else set()
        ours = dict(model.named_parameters())
        if stored != set(ours):
            fail(f"{path}: parameters differ from the config's model: missing {sorted(set(ours) - stored)}, "
                 f"unexpected {sorted(stored - set(ours))}")
        for name, p in ours.items():
            value = torch.from_numpy(f["params"][name][()])
            if value.shape != p.shape:
                fail(f"{path}: {name} is {list(value.shape)}, the config's model has {list(p.shape)}")
            p.copy_(value)


def decay_rule(o):
    """Which parameters qkv decays (optim/optimizer.cpp, train/trainer.cpp): decay_embeddings =
    true: every matrix (nanoGPT); else AdamW: matrices but not the embedding tables, Adam: all."""
    if o["decay_embeddings"]:
        return lambda name, p: p.dim() >= 2
    if o["name"] == "adam":
        return lambda name, p: True
    return lambda name, p: p.dim() >= 2 and name not in ("wte.weight", "wpe.weight")


def lr_at(it, o):
    """optim/schedule.cpp: linear warmup (it+1)/(warmup+1), then cosine (or linear) to min_lr."""
    if o["schedule"] == "constant":
        return o["lr"]
    if it < o["warmup_iters"]:
        return o["lr"] * (it + 1) / (o["warmup_iters"] + 1)
    if it >= o["lr_decay_iters"]:
        return o["min_lr"]
    ratio = (it - o["warmup_iters"]) / (o["lr_decay_iters"] - o["warmup_iters"])
    if o["schedule"] == "linear":
        return o["lr"] - ratio * (o["lr"] - o["min_lr"])
    return o["min_lr"] + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (o["lr"] - o["min_lr"])


def loss_of(model, x, y):
    logits = model(x)
    return F.cross_entropy(logits.view(-1, logits.shape[-1]), y.view(-1))


@torch.no_grad()
def evaluate(model, tokens, cfg, iters):
    """qkv's evaluate(): the mean of `iters` batch losses, batches from Generator(seed ^ 0x5eed)."""
    model.eval()
    gen = Generator(cfg["train"]["seed"] ^ 0x5EED)
    total = 0.0
    for _ in range(iters):
        x, y = get_batch(tokens, cfg["train"]["batch_size"], cfg["model"]["block_size"], gen)
        total += loss_of(model, x, y).item()
    model.train()
    return total / iters


# --- commands ----------------------------------------------------------------------------

def attr_text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def check_data_generator(f, cfg, step):
    """The ported generator, replayed for every training batch row, must land on the state
    qkv saved in /rng/data: a check that the Python batches are qkv's batches."""
    if "rng/data/s" not in f:
        return
    gen = Generator(cfg["train"]["seed"])
    draws = step * cfg["train"]["grad_accum"] * cfg["train"]["batch_size"]
    for _ in range(draws):
        gen.next_u64()
    saved = [int(w) & MASK64 for w in f["rng/data/s"][()]]
    if gen.s == saved:
        print(f"data generator: the ported generator reproduces the checkpoint's state after {draws} draws")
    else:
        print(f"warning: the ported generator does not reproduce the checkpoint's data generator state "
              f"after {draws} draws (resumed with another batch size?)", file=sys.stderr)


def command_eval(args):
    if not os.path.exists(args.checkpoint):
        fail(f"no such file: {args.checkpoint}")
    try:
        f = h5py.File(args.checkpoint, "r")
    except OSError as e:
        fail(f"{args.checkpoint} is not an HDF5 file: {e}")
    with f:
        if attr_text(f.attrs.get("format", "")) != "qkv-checkpoint":
            fail(f"{args.checkpoint} is not a qkv checkpoint (no format = qkv-checkpoint attribute)")
        cfg = parse_config(attr_text(f.attrs["config"]), args.checkpoint + " (config attribute)")
        step = int(f.attrs["step"])
        vocab = char_vocab_of_blob(attr_text(f["tokenizer"].attrs["blob"]))
        check_data_generator(f, cfg, step)
    check_supported(cfg, training=False)
    torch.set_num_threads(args.threads)
    _, val_text, _ = load_corpus(args.corpus or cfg["data"]["corpus"], args.data_dir)
    val = encode(val_text, vocab)
    model = build_gpt(cfg, len(vocab))
    load_params(model, args.checkpoint)
    iters = args.batches or cfg["train"]["eval_iters"]
    loss = evaluate(model, val, cfg, iters)
    B, T = cfg["train"]["batch_size"], cfg["model"]["block_size"]
    print(f"step {step}: val loss {loss:.6f} ({iters} batches of {B} x {T} from the val split, "
          f"generator seed {cfg['train']['seed']} ^ 0x5eed), torch {torch.__version__}")


def command_train(args):
    with open(args.config, "rb") as fh:
        cfg = parse_config(fh.read().decode("utf-8"), args.config)
    for assignment in args.set:
        apply_override(cfg, assignment)
    check_supported(cfg, training=True)
    torch.set_num_threads(args.threads)
    tc, oc = cfg["train"], cfg["optim"]
    out_dir = args.out or tc["out"] + "-torch"
    os.makedirs(out_dir, exist_ok=True)
    started = time.perf_counter()

    # The char vocabulary of every split, as qkv's build_tokenizer("char").
    train_text, val_text, test_text = load_corpus(cfg["data"]["corpus"], args.data_dir)
    vocab = "".join(sorted(set(train_text) | set(val_text) | set(test_text)))
    train_tokens, val_tokens = encode(train_text, vocab), encode(val_text, vocab)

    torch.manual_seed(tc["seed"])
    model = build_gpt(cfg, len(vocab))
    if args.init_from:
        load_params(model, args.init_from)
    else:
        init_weights(model, cfg["model"]["n_layer"], tc["seed"], args.init)
    model.train()
    named, decays = list(model.named_parameters()), decay_rule(oc)
    groups = [{"params": [p for n, p in named if decays(n, p)], "weight_decay": oc["weight_decay"]},
              {"params": [p for n, p in named if not decays(n, p)], "weight_decay": 0.0}]
    # Adam's decay is L2 added to the gradient, AdamW's is decoupled: torch's classes do the same.
    optimizer = torch.optim.Adam if oc["name"] == "adam" else torch.optim.AdamW
    opt = optimizer(groups, lr=oc["lr"], betas=(oc["beta1"], oc["beta2"]), eps=1e-8)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"torch_gpt.py train: {n_params} parameters, corpus {cfg['data']['corpus']} ({len(train_tokens)} train / "
          f"{len(val_tokens)} val tokens, vocab {len(vocab)}), init {args.init_from or args.init}, "
          f"{torch.get_num_threads()} threads, torch {torch.__version__}", flush=True)

    data_gen = Generator(tc["seed"])
    B, T, accum = tc["batch_size"], cfg["model"]["block_size"], tc["grad_accum"]
    tokens_per_step = B * T * accum
    train_seconds = window_seconds = 0.0
    window_tokens = 0
    val = None
    csv_path = os.path.join(out_dir, "metrics.csv")
    with open(csv_path, "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["step", "train_loss", "val_loss", "lr", "tokens_per_s", "elapsed_s"])
        for step in range(1, tc["max_iters"] + 1):
            t0 = time.perf_counter()
            lr = lr_at(step - 1, oc)
            for group in opt.param_groups:
                group["lr"] = lr
            loss_sum = 0.0
            for _ in range(accum):
                x, y = get_batch(train_tokens, B, T, data_gen)
                loss = loss_of(model, x, y)
                if not math.isfinite(loss.item()):
                    fail(f"train: loss is {loss.item()} at step {step}")
                loss_sum += loss.item()
                (loss / accum if accum > 1 else loss).backward()
            if oc["grad_clip"] > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), oc["grad_clip"])
            opt.step()
            opt.zero_grad(set_to_none=True)
            dt = time.perf_counter() - t0
            train_seconds += dt
            window_seconds += dt
            window_tokens += tokens_per_step
            train_loss = loss_sum / accum

            evaluated = step % tc["eval_interval"] == 0 or step == tc["max_iters"]
            if evaluated:
                val = evaluate(model, val_tokens, cfg, tc["eval_iters"])
                print(f"step {step}: train loss {train_loss:.4f}, val loss {val:.4f}", flush=True)
            if evaluated or step % tc["log_interval"] == 0 or step == tc["max_iters"]:
                tok_s = window_tokens / window_seconds if window_seconds > 0 else 0.0
                writer.writerow([step, f"{train_loss:.6f}", f"{val:.6f}" if evaluated else "", f"{lr:.6g}",
                                 f"{tok_s:.1f}", f"{time.perf_counter() - started:.2f}"])
                fh.flush()
                window_seconds, window_tokens = 0.0, 0
    wall = time.perf_counter() - started
    print(f"done: step {tc['max_iters']}, train loss {train_loss:.4f}, val loss {val:.6f}, "
          f"{tokens_per_step * tc['max_iters'] / train_seconds:.0f} tokens/s, {wall:.1f} s; metrics {csv_path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    common.add_argument("--data-dir", default=os.environ.get("QKV_DATA_DIR") or "data-cache",
                        help="where `qkv data` prepared the datasets (default $QKV_DATA_DIR or data-cache)")
    ev = sub.add_parser("eval", parents=[common], help="validation loss of a qkv checkpoint")
    ev.add_argument("--checkpoint", required=True)
    ev.add_argument("--batches", type=int, default=0, help="validation batches (default: the config's eval_iters)")
    ev.add_argument("--corpus", default="", help="read the corpus from here instead of the config's data.corpus")
    tr = sub.add_parser("train", parents=[common], help="train a qkv config in PyTorch on qkv's batches")
    tr.add_argument("--config", required=True)
    tr.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    tr.add_argument("--out", default="", help="folder for metrics.csv (default: the config's train.out + '-torch')")
    tr.add_argument("--init", choices=["qkv", "torch"], default="qkv",
                    help="qkv: the initial weights qkv draws for this seed (default); torch: torch's generator")
    tr.add_argument("--init-from", default="", metavar="CHECKPOINT", help="start from a qkv checkpoint's parameters")
    args = parser.parse_args()
    if args.threads < 1:
        fail(f"--threads must be positive, got {args.threads}")
    if args.command == "eval":
        command_eval(args)
    else:
        command_train(args)


if __name__ == "__main__":
    main()
