// bench_step: training-step throughput of qkv on the peer's models (docs/design.md section 8),
// one config per process so that peak RSS is per config:
//   bench_step --config gpt-tiny|gpt-small|seq2seq [--threads 2] [--warmup 5] [--steps 20] [--profile]
// Mirrors ../shared/peer/torch_gpt.py and torch_seq2seq.py: same shapes, optimizer, data
// scheme (8 synthetic batches, cycled), timed step (forward + loss + backward + step +
// zero_grad) and FLOP formula. Prints one JSON object with the peer's keys where they
// apply. Not a test: speed is shown here, never asserted. See bench/run.sh.
#include <fmt/format.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "autograd/autograd.h"
#include "nn/count.h"
#include "nn/gpt.h"
#include "nn/seq2seq.h"
#include "optim/factory.h"

using namespace qkv;

namespace {

constexpr int kBatches = 8;  // synthetic batches, cycled as the peer does
constexpr int64_t kPad = 0, kBos = 1;

struct Options {
  std::string config;
  int threads = 2, warmup = 5, steps = 20;
  bool profile = false;
};

// One JSON object, keys in insertion order (as the peer's json.dumps(indent=1)).
class JsonObject {
 public:
  void add(const std::string& key, const std::string& text) { raw(key, fmt::format("\"{}\"", text)); }
  void add(const std::string& key, const char* text) { add(key, std::string(text)); }
  void add(const std::string& key, int64_t n) { raw(key, fmt::format("{}", n)); }
  void add(const std::string& key, int n) { add(key, static_cast<int64_t>(n)); }
  void add(const std::string& key, double x) { raw(key, std::isfinite(x) ? fmt::format("{}", x) : "null"); }
  void add(const std::string& key, bool b) { raw(key, b ? "true" : "false"); }
  void append(const JsonObject& o) { fields_.insert(fields_.end(), o.fields_.begin(), o.fields_.end()); }
  std::string str() const {
    std::string out = "{\n";
    for (size_t i = 0; i < fields_.size(); ++i)
      out += fmt::format(" \"{}\": {}{}\n", fields_[i].first, fields_[i].second, i + 1 < fields_.size() ? "," : "");
    return out + "}";
  }

 private:
  void raw(const std::string& key, std::string value) { fields_.emplace_back(key, std::move(value)); }
  std::vector<std::pair<std::string, std::string>> fields_;
};

// What differs between the models: the model, its optimizer, the loss of batch i, and
// the sizes behind the throughput and FLOP figures. Everything else is shared.
struct Workload {
  std::shared_ptr<nn::Module> model;
  std::unique_ptr<optim::Optimizer> optimizer;
  std::function<Tensor(int batch)> loss;  // forward + loss on synthetic batch `batch`
  int64_t tokens_per_step = 0;            // GPT: B*T; seq2seq: target positions B*T
  double flops_per_token = 0;
  JsonObject shape;  // the peer's keys for the model and data shape (vocab, batch, ...)
  // Per-model rates (seq2seq: target positions and non-pad tokens per second), given the
  // median step and the batch each timed step used; may be empty.
  std::function<void(JsonObject& out, double median_step_s, const std::vector<int>& timed_batches)> add_rates;
};

// Uniform integer in [lo, hi] (inclusive, like torch.randint(lo, hi + 1)).
int64_t uniform_int(Generator& gen, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(gen.next_u64() % static_cast<uint64_t>(hi - lo + 1));
}

// Weights a token is multiplied through, counted on the built model as the peer counts its
// Linear weights: every 2-D parameter except the embedding and position tables, plus the
// LM head when it is the (tied) embedding table.
int64_t matmul_weights(const nn::Module& model, const nn::ModelConfig& cfg) {
  static const std::vector<std::string> tables = {"wte.weight", "wpe.weight", "embed.weight", "pos.weight"};
  int64_t n = cfg.tie_embeddings ? cfg.vocab_size * cfg.n_embd : 0;
  for (const auto& [name, p] : model.named_parameters())
    if (p.dim() == 2 && std::find(tables.begin(), tables.end(), name) == tables.end()) n += p.numel();
  return n;
}

// The peer's formula, from the built model; the config-only count of nn/count.h must agree
// (it follows the same docs/design.md section 8 rule), so a model that drifts from its config is caught.
double checked_flops_per_token(int64_t weights, double attention_flops, const nn::ModelConfig& cfg) {
  const double flops = 6.0 * static_cast<double>(weights) + attention_flops;
  const double from_config = nn::training_flops_per_token(cfg);
  QKV_CHECK(flops == from_config, "bench_step: FLOPs per token {} from the model, {} from nn/count.h", flops, from_config);
  return flops;
}

// ------------------------------------------------------------------------------ GPT

nn::ModelConfig gpt_config(const std::string& name) {
  nn::ModelConfig c;
  c.kind = nn::ModelKind::gpt;
  c.tie_embeddings = false;  // the peer's LM head is its own Linear (no bias)
  c.bias = true;
  c.positions = nn::Positions::learned;
  c.mlp = nn::MlpKind::gelu;
  c.dropout = 0.0;
  if (name == "gpt-tiny") {
    c.vocab_size = 65, c.block_size = 64, c.n_layer = 4, c.n_head = 4, c.n_embd = 128;
  } else {
    c.vocab_size = 256, c.block_size = 256, c.n_layer = 6, c.n_head = 6, c.n_embd = 384;
  }
  return c;
}

Workload gpt_workload(const std::string& name) {
  const nn::ModelConfig cfg = gpt_config(name);
  const int64_t B = name == "gpt-tiny" ? 12 : 16, T = cfg.block_size, d = cfg.n_embd, L = cfg.n_layer;
  auto model = std::make_shared<nn::GPT>(cfg, 0);

  // As the peer's torch.randint(vocab, (8, B, T + 1)): inputs and targets are the first
  // and last T tokens of each row.
  Generator gen(0);
  std::vector<Tensor> inputs, targets;
  for (int k = 0; k < kBatches; ++k) {
    std::vector<int64_t> x, y;
    for (int64_t b = 0; b < B; ++b) {
      std::vector<int64_t> row(static_cast<size_t>(T + 1));
      for (auto& t : row) t = uniform_int(gen, 0, cfg.vocab_size - 1);
      x.insert(x.end(), row.begin(), row.end() - 1);
      y.insert(y.end(), row.begin() + 1, row.end());
    }
    inputs.push_back(Tensor::from(x, {B, T}));
    targets.push_back(Tensor::from(y, {B, T}));
  }

  optim::OptimConfig s;  // torch.optim.AdamW(lr=3e-4): its defaults, one group
  s.name = optim::OptimizerKind::adamw;
  s.lr = 3e-4, s.beta1 = 0.9, s.beta2 = 0.999, s.eps = 1e-8, s.weight_decay = 0.01;

  Workload w;
  w.model = model;
  w.optimizer = optim::make_optimizer(s, model->named_parameters(), optim::decay_all);
  w.loss = [model, inputs, targets](int k) { return model->loss(inputs[k], targets[k]); };
  w.tokens_per_step = B * T;
  const int64_t weights = matmul_weights(*model, cfg);
  w.flops_per_token = checked_flops_per_token(weights, 12.0 * L * T * d, cfg);
  w.shape.add("vocab", cfg.vocab_size);
  w.shape.add("block", T);
  w.shape.add("batch", B);
  w.shape.add("n_layer", L);
  w.shape.add("n_head", cfg.n_head);
  w.shape.add("n_embd", d);
  w.shape.add("attention", "naive");
  w.shape.add("params_linear_weights", weights);
  return w;
}

// -------------------------------------------------------------------------- seq2seq

// The peer's nn.Transformer is post-LN with ReLU; qkv's blocks are pre-LN with GELU. The
// same Linear layers and attention products run either way, so the FLOPs per token are
// the same (norms and activations are O(d) per token and counted by neither).
nn::ModelConfig seq2seq_config() {
  nn::ModelConfig c;
  c.kind = nn::ModelKind::seq2seq;
  c.vocab_size = 8000, c.n_layer = 3, c.n_head = 4, c.n_embd = 256, c.mlp_hidden = 1024, c.block_size = 32;
  c.tie_embeddings = true;  // one table for source, target and output, as the peer
  c.bias = true;
  c.positions = nn::Positions::sinusoidal;
  c.mlp = nn::MlpKind::gelu;
  c.dropout = 0.0;
  return c;
}

// One batch as the peer's make_batch: tokens uniform in [2, vocab), true lengths uniform in
// [T/2, T], padded with kPad; tgt_in is BOS then tgt shifted right, padded where tgt is.
struct Seq2SeqBatch {
  Tensor src, tgt_in, tgt;
  int64_t nonpad_targets = 0;
};

Seq2SeqBatch seq2seq_batch(Generator& gen, int64_t B, int64_t T, int64_t vocab) {
  auto padded = [&] {
    std::vector<int64_t> toks(static_cast<size_t>(B * T));
    for (auto& t : toks) t = uniform_int(gen, 2, vocab - 1);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = uniform_int(gen, T / 2, T);
      std::fill(toks.begin() + b * T + len, toks.begin() + (b + 1) * T, kPad);
    }
    return toks;
  };
  std::vector<int64_t> src = padded(), tgt = padded(), tgt_in(tgt.size());
  Seq2SeqBatch out;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t) {
      const size_t i = static_cast<size_t>(b * T + t);
      tgt_in[i] = tgt[i] == kPad ? kPad : t == 0 ? kBos : tgt[i - 1];
      out.nonpad_targets += tgt[i] != kPad;
    }
  out.src = Tensor::from(src, {B, T});
  out.tgt_in = Tensor::from(tgt_in, {B, T});
  out.tgt = Tensor::from(tgt, {B, T});
  return out;
}

Workload seq2seq_workload() {
  const nn::ModelConfig cfg = seq2seq_config();
  const int64_t B = 64, T = cfg.block_size, S = T, d = cfg.n_embd, L = cfg.n_layer;
  auto model = std::make_shared<nn::Seq2Seq>(cfg, 0, kPad);

  Generator gen(0);
  std::vector<Seq2SeqBatch> batches;
  for (int k = 0; k < kBatches; ++k) batches.push_back(seq2seq_batch(gen, B, T, cfg.vocab_size));
  std::vector<int64_t> nonpad;
  for (const auto& b : batches) nonpad.push_back(b.nonpad_targets);

  optim::OptimConfig s;  // torch.optim.Adam(lr=3e-4, betas=(0.9, 0.98), eps=1e-9)
  s.name = optim::OptimizerKind::adam;
  s.lr = 3e-4, s.beta1 = 0.9, s.beta2 = 0.98, s.eps = 1e-9, s.weight_decay = 0;

  Workload w;
  w.model = model;
  w.optimizer = optim::make_optimizer(s, model->named_parameters());
  w.loss = [model, batches](int k) { return model->loss(batches[k].src, batches[k].tgt_in, batches[k].tgt, 0.1); };
  w.tokens_per_step = B * T;
  // Peer: 6 (W_enc B S + (W_dec + V d) B T) + 12 d B L (S S + T T + T S), per target token.
  const double attention = 12.0 * d * L * static_cast<double>(S * S + T * T + T * S) / static_cast<double>(T);
  w.flops_per_token = checked_flops_per_token(matmul_weights(*model, cfg), attention, cfg);
  w.shape.add("vocab", cfg.vocab_size);
  w.shape.add("d_model", d);
  w.shape.add("heads", cfg.n_head);
  w.shape.add("enc_layers", L);
  w.shape.add("dec_layers", L);
  w.shape.add("ffn", cfg.hidden());
  w.shape.add("length", T);
  w.shape.add("batch", B);
  w.shape.add("dropout", cfg.dropout);
  w.shape.add("block_kind", "pre-LN GELU (peer: post-LN ReLU; same FLOPs per token)");
  w.shape.add("positions", std::string(name_of(cfg.positions)));
  w.shape.add("label_smoothing", 0.1);
  w.add_rates = [nonpad, B, T](JsonObject& out, double median_s, const std::vector<int>& timed_batches) {
    double mean = 0;  // non-pad targets per timed step, averaged as the peer does
    for (int k : timed_batches) mean += static_cast<double>(nonpad[k]) / static_cast<double>(timed_batches.size());
    out.add("target_positions_per_step", B * T);
    out.add("mean_nonpad_target_tokens_per_step", mean);
    out.add("target_positions_per_s", static_cast<double>(B * T) / median_s);
    out.add("nonpad_target_tokens_per_s", mean / median_s);
  };
  return w;
}

// ------------------------------------------------------------------------ measuring

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);  // statistics.median
}

struct Samples {
  std::vector<double> step, fwd_bwd, opt, loss;
};

// Runs steps [first, first + count) of the cycle, appending their times and losses. The
// timed part is exactly the peer's: forward + loss + backward, then step + zero_grad;
// reading the loss value is outside it. With the op profiler on (--profile), each step is
// also charged to op families (base/profile.h).
void run_steps(Workload& w, int first, int count, Samples& out) {
  for (int i = first; i < first + count; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    profile::step_begin();
    Tensor loss = w.loss(i % kBatches);
    loss.backward();
    const double fwd_bwd = seconds_since(t0);
    {
      profile::Scope update(profile::Family::optimizer);
      w.optimizer->step();
      w.optimizer->zero_grad();
    }
    profile::step_end();
    const double step = seconds_since(t0);
    out.step.push_back(step);
    out.fwd_bwd.push_back(fwd_bwd);
    out.opt.push_back(step - fwd_bwd);
    out.loss.push_back(loss.item());
  }
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux: KiB
}

std::string run(const Options& opt) {
  set_num_threads(opt.threads);
  Workload w = opt.config == "seq2seq" ? seq2seq_workload() : gpt_workload(opt.config);

  Samples warm, timed;
  run_steps(w, 0, opt.warmup, warm);
  const int64_t allocs_before = allocator::stats().system_allocs;
  run_steps(w, opt.warmup, opt.steps, timed);
  const int64_t allocs = allocator::stats().system_allocs - allocs_before;

  const double step_s = median(timed.step), fb_s = median(timed.fwd_bwd);
  const double flops_per_step = w.flops_per_token * static_cast<double>(w.tokens_per_step);
  const double first_loss = opt.warmup > 0 ? warm.loss.front() : timed.loss.front();
  std::vector<int> timed_batches;
  for (int i = opt.warmup; i < opt.warmup + opt.steps; ++i) timed_batches.push_back(i % kBatches);

  JsonObject r;
  r.add("config", opt.config);
  r.add("framework", "qkv");
  r.append(w.shape);
  r.add("threads", num_threads());
  r.add("params", w.model->num_parameters());
  r.add("tokens_per_step", w.tokens_per_step);
  r.add("flops_per_token", w.flops_per_token);
  r.add("flops_per_step", flops_per_step);
  r.add("median_step_ms", step_s * 1e3);
  r.add("min_step_ms", *std::min_element(timed.step.begin(), timed.step.end()) * 1e3);
  r.add("max_step_ms", *std::max_element(timed.step.begin(), timed.step.end()) * 1e3);
  r.add("median_fwd_bwd_ms", fb_s * 1e3);
  r.add("median_opt_ms", median(timed.opt) * 1e3);
  r.add("tokens_per_s", static_cast<double>(w.tokens_per_step) / step_s);
  r.add("gflops_full_step", flops_per_step / step_s / 1e9);
  r.add("gflops_fwd_bwd_only", flops_per_step / fb_s / 1e9);
  if (w.add_rates) w.add_rates(r, step_s, timed_batches);
  r.add("loss_first", first_loss);
  r.add("loss_last", timed.loss.back());
  r.add("peak_rss_mib", peak_rss_mib());
  r.add("system_allocs_in_timed_steps", allocs);
  if (opt.profile) {  // after the measured steps, so that profiling never enters the figures
    Samples profiled;
    profile::set_enabled(true);
    run_steps(w, opt.warmup + opt.steps, opt.steps, profiled);
    profile::set_enabled(false);
    fmt::print(stderr, "{}", profile::report());
  }
  return r.str();
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  CLI::App app{"bench_step: qkv training-step throughput on the PyTorch peer's models"};
  app.add_option("--config", opt.config, "model and data shape")
      ->required()
      ->check(CLI::IsMember({"gpt-tiny", "gpt-small", "seq2seq"}));
  app.add_option("--threads", opt.threads, "threads for OpenMP and OpenBLAS")->check(CLI::PositiveNumber);
  app.add_option("--warmup", opt.warmup, "untimed steps first")->check(CLI::NonNegativeNumber);
  app.add_option("--steps", opt.steps, "timed steps (median reported)")->check(CLI::PositiveNumber);
  app.add_flag("--profile", opt.profile, "then run as many steps again under the op profiler; its table on stderr");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    fmt::print("{}\n", run(opt));
  } catch (const Error& e) {
    fmt::print(stderr, "bench_step: error: {}\n", e.what());
    return 1;
  }
  return 0;
}
