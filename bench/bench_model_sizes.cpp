// bench_model_sizes: the sizes docs/scaling.md builds on, from qkv's own code (no training).
//   bench_model_sizes [budget_gib] [bucket_mb]     (default 24 and 4)
// 1. For each benchmark shape (gpt-tiny, gpt-small and seq2seq as bench_step builds them,
//    and GPT-2 124M's shape with an untied head): the parameter count (nn::count_parameters,
//    checked against a built model), the bytes one data-parallel step allreduces (f32
//    gradients, 4 bytes each) and the gradient buckets of train.bucket_mb, as
//    dist::GradientReducer lays them out after the first step (one backward of a tiny batch
//    through the real reducer, on one rank): in the order backward finished the gradients,
//    the first bucket at most 1 MiB. The bucket that holds the token embedding (wte, embed)
//    is ready only when backward ends (the embedding is the first op of forward), and the
//    buckets after it start after it: their allreduce ("tail") can never overlap backward.
// 2. The largest GPT whose training step fits `budget_gib` per rank: block 1024, batch 1,
//    vocab 50304, untied head, biases, learned positions, no dropout, f32 AdamW (weights,
//    gradients and two moments: 16 bytes per parameter), with nn::estimate_training_memory's
//    activations and 64 MiB for the program. A data-parallel rank also holds the allreduce
//    buckets, one more f32 copy of the gradients (4 bytes per parameter), which the estimate
//    leaves out: the table shows both.
#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "autograd/tensor.h"
#include "dist/gradient_reducer.h"
#include "nn/count.h"
#include "nn/gpt.h"
#include "nn/memory_estimate.h"
#include "nn/seq2seq.h"

namespace {

using qkv::nn::ModelConfig;
using qkv::nn::ModelKind;

constexpr double kGiB = 1024.0 * 1024 * 1024;

ModelConfig gpt(int64_t vocab, int64_t block, int64_t layers, int64_t heads, int64_t width) {
  ModelConfig c;
  c.kind = ModelKind::gpt;
  c.vocab_size = vocab, c.block_size = block, c.n_layer = layers, c.n_head = heads, c.n_embd = width;
  c.tie_embeddings = false;  // the peer's LM head: its own Linear, no bias
  c.bias = true;
  c.positions = qkv::nn::Positions::learned;
  c.dropout = 0.0;
  return c;
}

ModelConfig seq2seq() {  // bench_step's seq2seq: the peer's nn.Transformer shape
  ModelConfig c;
  c.kind = ModelKind::seq2seq;
  c.vocab_size = 8000, c.n_layer = 3, c.n_head = 4, c.n_embd = 256, c.mlp_hidden = 1024, c.block_size = 32;
  c.tie_embeddings = true;
  c.bias = true;
  c.positions = qkv::nn::Positions::sinusoidal;
  c.dropout = 0.0;
  return c;
}

struct Buckets {
  std::vector<int64_t> numel;  // parameters per bucket, first started first
  size_t embedding = 0;        // the bucket holding the token embedding
  int64_t tail() const {       // parameters from that bucket on
    int64_t n = 0;
    for (size_t b = embedding; b < numel.size(); ++b) n += numel[b];
    return n;
  }
};

// The buckets GradientReducer uses from the second step on: it learns them from one
// backward (a 1 x 8 batch of token 1; any batch gives the same order).
Buckets buckets(const qkv::nn::Module& model, const ModelConfig& cfg, int64_t bucket_bytes) {
  std::vector<qkv::Tensor> params;
  std::vector<std::string> names;
  for (const auto& [name, t] : model.named_parameters()) {
    names.push_back(name);
    params.push_back(t);
  }
  qkv::dist::GradientReducer reducer(qkv::dist::Communicator::self(), params, names, bucket_bytes);
  const qkv::Tensor ids = qkv::Tensor::from(std::vector<int64_t>(8, 1), {1, 8});
  reducer.begin();
  if (cfg.kind == ModelKind::gpt)
    dynamic_cast<const qkv::nn::GPT&>(model).loss(ids, ids).backward();
  else
    dynamic_cast<const qkv::nn::Seq2Seq&>(model).loss(ids, ids, ids, 0.0).backward();
  reducer.end();
  Buckets out;
  for (int64_t b = 0; b < reducer.bucket_count(); ++b) {
    out.numel.push_back(0);
    for (int64_t p : reducer.bucket_parameters(b)) {
      out.numel.back() += params[static_cast<size_t>(p)].numel();
      if (names[static_cast<size_t>(p)] == "wte.weight" || names[static_cast<size_t>(p)] == "embed.weight")
        out.embedding = out.numel.size() - 1;
    }
  }
  return out;
}

std::string mb(double bytes) { return fmt::format("{:.2f}", bytes / 1e6); }

}  // namespace

int main(int argc, char** argv) {
  const double budget_gib = argc > 1 ? std::atof(argv[1]) : 24;
  const int64_t bucket_mb = argc > 2 ? std::atoll(argv[2]) : 4;

  struct Shape {
    const char* name;
    ModelConfig cfg;
  };
  const std::vector<Shape> shapes = {{"gpt-tiny", gpt(65, 64, 4, 4, 128)},
                                     {"gpt-small", gpt(256, 256, 6, 6, 384)},
                                     {"seq2seq", seq2seq()},
                                     {"gpt2-124M (untied)", gpt(50304, 1024, 12, 12, 768)}};
  fmt::print("| config | parameters | allreduced per step (f32) MB | buckets of {} MiB | first bucket MB | "
             "from the embedding's bucket on MB | last bucket MB |\n",
             bucket_mb);
  fmt::print("|---|---|---|---|---|---|---|\n");
  for (const Shape& s : shapes) {
    const int64_t counted = qkv::nn::count_parameters(s.cfg);
    std::unique_ptr<qkv::nn::Module> model;
    if (s.cfg.kind == ModelKind::gpt)
      model = std::make_unique<qkv::nn::GPT>(s.cfg, 0);
    else
      model = std::make_unique<qkv::nn::Seq2Seq>(s.cfg, 0);
    const int64_t built = model->num_parameters();
    if (built != counted) fmt::print(stderr, "{}: count_parameters {} but the model has {}\n", s.name, counted, built);
    const Buckets b = buckets(*model, s.cfg, bucket_mb << 20);
    fmt::print("| {} | {} | {} | {} | {} | {} | {} |\n", s.name, built, mb(4.0 * static_cast<double>(built)),
               b.numel.size(), mb(4.0 * static_cast<double>(b.numel.front())), mb(4.0 * static_cast<double>(b.tail())),
               mb(4.0 * static_cast<double>(b.numel.back())));
  }

  // The largest width at each depth (a multiple of 128, heads of 64) under the budget.
  fmt::print("\nLargest GPT under {:.0f} GiB per rank: block 1024, batch 1, vocab 50304, untied head, f32 AdamW\n\n",
             budget_gib);
  fmt::print("| layers | width | heads | parameters | weights+grads+Adam GiB | activations GiB | estimate GiB | "
             "with DP buckets GiB |\n");
  fmt::print("|---|---|---|---|---|---|---|---|\n");
  for (int64_t layers : {12, 16, 20, 24, 28, 32, 40, 48}) {
    int64_t best = 0;
    for (int64_t width = 128; width <= 16384; width += 128) {
      const qkv::nn::MemoryEstimate e = qkv::nn::estimate_training_memory(gpt(50304, 1024, layers, width / 64, width), 1, 2);
      const double dp = e.total() + e.gradients;  // GradientReducer's bucket buffers
      if (dp > budget_gib * kGiB) break;
      best = width;
    }
    if (best == 0) continue;
    const ModelConfig c = gpt(50304, 1024, layers, best / 64, best);
    const qkv::nn::MemoryEstimate e = qkv::nn::estimate_training_memory(c, 1, 2);
    fmt::print("| {} | {} | {} | {:.2f} B | {:.1f} | {:.1f} | {:.1f} | {:.1f} |\n", layers, best, best / 64,
               static_cast<double>(qkv::nn::count_parameters(c)) / 1e9,
               (e.parameters + e.gradients + e.optimizer_state) / kGiB, e.activations / kGiB, e.total() / kGiB,
               (e.total() + e.gradients) / kGiB);
  }
  return 0;
}
