#!/usr/bin/env python3
"""Predicted data-parallel scaling of qkv past one machine (docs/scaling.md): prints the
doc's tables in Markdown. Plain python3, no packages.

  python3 bench/scaling_model.py --step gpt-tiny=MS --step gpt-small=MS [--overlap NAME=F ...]
                                 [--jitter NAME=CV ...] [--gflops G] [--backward-share 0.65] [--bucket-mb 4]
                                 [--links 10:25,25:25,100:5] [--nodes 1,2,4,8,16,32,64]

Inputs, per config: --step NAME=MS, the measured single-rank step (1 process x 2 threads, the
whole node: 1000 x tokens per step / tokens_per_s of bench/run_dp.sh's "qkv 1x2" column);
--overlap NAME=F, the share of backward the allreduce can run under (default: the share of
the parameters outside the first bucket; run_dp.sh prints the share of the allreduce its
buckets hid on one machine); --jitter NAME=CV, the coefficient of variation of one node's
step time (default 0; run_dp.sh prints qkv 1x2's). --gflops G estimates the step of the
configs without --step from their FLOPs (marked "estimated"); configs with neither are left
out of the prediction tables.

Model, weak scaling (every node keeps its batch; the global batch grows with the nodes):
  S        bytes allreduced per step: parameters x 4 (f32 gradients)
  ring(N)  2 (N-1)/N x S / bandwidth + buckets x 2 (N-1) x latency   (each bucket is one ring
           allreduce, which pays the per-hop latency 2 (N-1) times)
  tail(N)  the same for the bucket holding the token embedding (and any after it): backward
           finishes the embedding last (it is forward's first op), so that bucket starts only
           when backward has ended
  hidden   F x backward, backward = backward-share x step(1)
  slowest  step(1) x CV x sqrt(2 ln N): every step waits for the slowest of N nodes, and the
           largest of N normal draws lies about sqrt(2 ln N) standard deviations above the mean
  step(N)  step(1) + slowest + max(tail(N), ring(N) - hidden)     (N = 1: step(1))
  tokens/s N x tokens per step / step(N); efficiency step(1) / step(N)
Links are BANDWIDTH_Gb/s:LATENCY_us pairs; bandwidth is the link's nominal rate, all of it
available to the allreduce (an upper bound: TCP delivers about 90% of it).
"""
import argparse
import math
import sys

MIB = 1 << 20

# The benchmark shapes: the PyTorch peer's GPTs and seq2seq (bench_step builds the same), and
# GPT-2 124M's shape with nanoGPT's padded vocabulary and an untied head.
CONFIGS = {
    "gpt-tiny": dict(kind="gpt", V=65, T=64, L=4, d=128, batch=12),
    "gpt-small": dict(kind="gpt", V=256, T=256, L=6, d=384, batch=16),
    "seq2seq": dict(kind="seq2seq", V=8000, T=32, L=3, d=256, ffn=1024, batch=64),
    "gpt2-124M": dict(kind="gpt", V=50304, T=1024, L=12, d=768, batch=2),
}


def linear(d_in, d_out):
    return [d_in * d_out, d_out]  # weight, bias


def layer_norm(d):
    return [d, d]


def parameter_sizes(c):
    """The model's parameters in named_parameters() order (a module's own parameters, then its
    children's, in registration order: nn/module.cpp, nn/gpt.cpp, nn/seq2seq.cpp,
    nn/blocks.cpp), biases everywhere but the LM head, as bench_step builds the peer's models.
    The GPT's untied lm_head.weight is its own parameter, so it comes first."""
    d = c["d"]
    if c["kind"] == "gpt":
        p = [c["V"] * d, c["V"] * d, c["T"] * d]  # lm_head, wte, wpe (learned positions)
        for _ in range(c["L"]):
            p += layer_norm(d) + linear(d, d) * 4 + layer_norm(d) + linear(d, 4 * d) + linear(4 * d, d)
        return p + layer_norm(d)  # ln_f
    f = c["ffn"]
    p = [c["V"] * d]  # one table for source, target and the (tied) head; sinusoidal positions
    for _ in range(c["L"]):  # encoder blocks
        p += layer_norm(d) + linear(d, d) * 4 + layer_norm(d) + linear(d, f) + linear(f, d)
    p += layer_norm(d)
    for _ in range(c["L"]):  # decoder blocks: self-attention, cross-attention, MLP
        p += layer_norm(d) + linear(d, d) * 4 + layer_norm(d) + linear(d, d) * 4 + layer_norm(d)
        p += linear(d, f) + linear(f, d)
    return p + layer_norm(d)


def finishing_order(c, n):
    """The parameters in the order backward finishes their gradients, which is the order
    dist::GradientReducer fills its buckets in after the first step: for a GPT the untied
    head first, then ln_f and the blocks from the last to the first, then the position and
    token embeddings (forward's first ops); for the seq2seq model the decoder, then the
    encoder, and the shared table last (the embeddings and the tied head all add to it).
    Within a block the reversed registration order stands in for the exact order; bucket
    sizes barely depend on it. bench_model_sizes prints the buckets of the real reducer."""
    if c["kind"] == "gpt":  # named order: lm_head, wte, wpe, blocks..., ln_f
        return [0] + list(reversed(range(3, n))) + [2, 1]
    return list(reversed(range(1, n))) + [0]  # named order: the table, encoder, decoder


def buckets(c, sizes, bucket_bytes):
    """Bucket sizes in parameters, first started first: filled in finishing order, the first
    bucket closed at a quarter of bucket_bytes (1 MiB by default; DDP starts small too), the others at bucket_bytes or more
    (dist/gradient_reducer.cpp). Also the parameters from the bucket holding the token
    embedding on: backward finishes it last, so that bucket is ready only when backward ends."""
    out, tail_from = [], 0
    embedding = 1 if c["kind"] == "gpt" else 0
    for i in finishing_order(c, len(sizes)):
        limit = bucket_bytes // 4 if len(out) <= 1 else bucket_bytes
        if not out or out[-1] * 4 >= limit:
            out.append(0)
        out[-1] += sizes[i]
        if i == embedding:
            tail_from = len(out) - 1
    return out, sum(out[tail_from:]), len(out) - tail_from


def flops_per_token(c):
    """Training FLOPs per token, the peer's formula: 6 x matmul weights + attention terms."""
    d, L, T, V = c["d"], c["L"], c["T"], c["V"]
    if c["kind"] == "gpt":
        return 6 * (12 * L * d * d + V * d) + 12 * L * T * d
    f = c["ffn"]
    w_enc, w_dec = L * (4 * d * d + 2 * d * f), L * (8 * d * d + 2 * d * f)
    return 6 * (w_enc + w_dec + V * d) + 12 * d * L * 3 * T  # S = T: S^2 + T^2 + T S per row


def ring_seconds(nbytes, n_buckets, nodes, gbit, latency_us):
    if nodes == 1:
        return 0.0
    return 2 * (nodes - 1) / nodes * nbytes * 8 / (gbit * 1e9) + n_buckets * 2 * (nodes - 1) * latency_us * 1e-6


def pairs(items, what, convert):
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            if name not in CONFIGS:
                raise ValueError
            out[name] = convert(value)
        except ValueError:
            sys.exit(f"scaling_model.py: {what} expects NAME=NUMBER with NAME one of {', '.join(CONFIGS)}, got '{item}'")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--step", action="append", default=[], metavar="NAME=MS", help="measured single-rank step, ms")
    ap.add_argument("--overlap", action="append", default=[], metavar="NAME=F", help="share of backward that hides the allreduce")
    ap.add_argument("--jitter", action="append", default=[], metavar="NAME=CV", help="step time's coefficient of variation")
    ap.add_argument("--gflops", type=float, help="estimate the other configs' steps at this many GFLOP/s")
    ap.add_argument("--backward-share", type=float, default=0.65, help="backward's share of a step (default 0.65)")
    ap.add_argument("--bucket-mb", type=int, default=4, help="train.bucket_mb (default 4)")
    ap.add_argument("--links", default="10:25,25:25,100:5", help="BANDWIDTH_Gb/s:LATENCY_us,... (default 10:25,25:25,100:5)")
    ap.add_argument("--nodes", default="1,2,4,8,16,32,64")
    args = ap.parse_args()
    steps = pairs(args.step, "--step", float)
    overlaps = pairs(args.overlap, "--overlap", float)
    jitters = pairs(args.jitter, "--jitter", float)
    links = [tuple(float(x) for x in link.split(":")) for link in args.links.split(",")]
    nodes = [int(n) for n in args.nodes.split(",")]
    bucket_bytes = args.bucket_mb * MIB

    sizes = {name: parameter_sizes(c) for name, c in CONFIGS.items()}
    params = {name: sum(s) for name, s in sizes.items()}
    # The token embedding: wte after the GPT's lm_head, the seq2seq's shared table first.
    bk = {name: buckets(CONFIGS[name], s, bucket_bytes) for name, s in sizes.items()}

    print(f"Sizes (f32 gradients; buckets of train.bucket_mb = {args.bucket_mb} MiB):\n")
    print("| config | parameters | allreduced per step MB | buckets | first bucket MB | tail MB | tokens per step | FLOPs per token |")
    print("|---|---|---|---|---|---|---|---|")
    for name, c in CONFIGS.items():
        b, tail, _ = bk[name]
        print(f"| {name} | {params[name]:,} | {4 * params[name] / 1e6:.2f} | {len(b)} | {4 * b[0] / 1e6:.2f} | "
              f"{4 * tail / 1e6:.2f} | {c['batch'] * c['T']} | {flops_per_token(c) / 1e6:.1f} M |")

    shown = [n for n in nodes if n > 1]
    print("\nRing allreduce of the whole gradient, ms (one message; 2 (N-1)/N x S / bandwidth + 2 (N-1) x latency):\n")
    print("| config | link | " + " | ".join(f"N = {n}" for n in shown) + " |")
    print("|---|---|" + "---|" * len(shown))
    for name in CONFIGS:
        for gbit, lat in links:
            cells = [f"{1e3 * ring_seconds(4 * params[name], 1, n, gbit, lat):.2f}" for n in shown]
            print(f"| {name} | {gbit:g} Gb/s, {lat:g} us | " + " | ".join(cells) + " |")

    for name, c in CONFIGS.items():
        tokens = c["batch"] * c["T"]
        if name in steps:
            step_ms, source = steps[name], "given"
        elif args.gflops:
            step_ms, source = 1e3 * flops_per_token(c) * tokens / (args.gflops * 1e9), f"estimated at {args.gflops:g} GFLOP/s"
        else:
            continue
        b, tail_params, tail_buckets = bk[name]
        f = overlaps.get(name, 1 - b[0] / params[name])
        f_source = "given" if name in overlaps else "the parameters outside the first bucket"
        backward_ms = args.backward_share * step_ms
        cv = jitters.get(name, 0.0)
        print(f"\n{name}: step(1) {step_ms:.1f} ms ({source}), {tokens} tokens per node-step, backward "
              f"{backward_ms:.1f} ms ({args.backward_share:g} of the step), overlap F = {f:.2f} ({f_source}), "
              f"step-time CV {cv:g}, {len(b)} bucket{'s' if len(b) > 1 else ''}, tail {4 * tail_params / 1e6:.2f} MB. Cells: tokens/s (scaling efficiency), "
              "exposed allreduce ms per step.\n")
        print("| nodes | global batch | " + " | ".join(f"{g:g} Gb/s" for g, _ in links) + " |")
        print("|---|---|" + "---|" * len(links))
        for n in nodes:
            cells = []
            for gbit, lat in links:
                ring = 1e3 * ring_seconds(4 * params[name], len(b), n, gbit, lat)
                tail = 1e3 * ring_seconds(4 * tail_params, tail_buckets, n, gbit, lat)
                exposed = 0.0 if n == 1 else max(tail, ring - f * backward_ms)
                slowest = step_ms * cv * math.sqrt(2 * math.log(n))
                step = step_ms + slowest + exposed
                cells.append(f"{n * tokens / (step / 1e3):,.0f} ({100 * step_ms / step:.0f}%), {exposed:.1f} ms")
            print(f"| {n} | {n * c['batch']} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
