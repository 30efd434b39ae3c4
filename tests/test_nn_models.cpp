// Blocks, GPT and Seq2Seq: parameter names, init, tied heads, KV-cache decoding against
// full passes, errors, state dicts, dropout modes; parameter and FLOP counts from the
// config against built models and hand-computed numbers.
#include <catch2/catch.hpp>
#include <cmath>
#include <functional>

#include "autograd/autograd.h"
#include "nn/attention_variants.h"
#include "nn/count.h"
#include "nn/gpt.h"
#include "nn/seq2seq.h"

using namespace qkv;
using namespace qkv::nn;
using Catch::Contains;

namespace {

ModelConfig small_config(ModelKind kind) {
  ModelConfig m;
  m.kind = kind;
  m.vocab_size = 11;
  m.n_layer = 2;
  m.n_head = 4;
  m.n_embd = 16;
  m.block_size = 8;
  return m;
}

std::vector<std::string> names_of(const Module& m) {
  std::vector<std::string> names;
  for (auto& [n, p] : m.named_parameters()) names.push_back(n);
  return names;
}

bool has_name(const Module& m, const std::string& name) {
  std::vector<std::string> names = names_of(m);
  return std::find(names.begin(), names.end(), name) != names.end();
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.shape() == b.shape());
  std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

double std_of(const Tensor& t) {
  std::vector<double> v = t.to_vector<double>();
  double mean = 0, sq = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) sq += (x - mean) * (x - mean);
  return std::sqrt(sq / static_cast<double>(v.size() - 1));
}

Tensor ids_tensor(const std::vector<int64_t>& ids, int64_t B, int64_t T) { return Tensor::from(ids, {B, T}); }

// The argmax over the last dim of logits [B,T,V], as ids [B,T].
Tensor argmax_ids(const Tensor& logits) { return max(logits, -1).second; }

}  // namespace

// ---------------------------------------------------------------------------- names and init

TEST_CASE("GPT parameters have the documented names, a tied head is not registered twice", "[models]") {
  ModelConfig cfg = small_config(ModelKind::gpt);
  GPT tied(cfg, 1);
  std::vector<std::string> names = names_of(tied);
  CHECK(names.front() == "wte.weight");
  CHECK(names[1] == "wpe.weight");
  CHECK(names.back() == "ln_f.bias");
  for (const char* n : {"blocks.0.ln_1.weight", "blocks.0.attn.q_proj.weight", "blocks.0.attn.k_proj.bias",
                        "blocks.0.attn.v_proj.weight", "blocks.0.attn.o_proj.weight", "blocks.0.ln_2.bias",
                        "blocks.0.mlp.fc.weight", "blocks.1.mlp.proj.bias", "ln_f.weight"}) {
    INFO(n);
    CHECK(has_name(tied, n));
  }
  CHECK_FALSE(has_name(tied, "lm_head.weight"));
  CHECK_FALSE(has_name(tied, "blocks.2.ln_1.weight"));
  CHECK(tied.wte->weight.shape() == Dims{11, 16});

  cfg.tie_embeddings = false;
  GPT untied(cfg, 1);
  CHECK(has_name(untied, "lm_head.weight"));
  CHECK(untied.state_dict().at("lm_head.weight").shape() == Dims{11, 16});
  CHECK(untied.num_parameters() == tied.num_parameters() + 11 * 16);

  cfg.positions = Positions::rope;
  GPT rope(cfg, 1);
  CHECK_FALSE(has_name(rope, "wpe.weight"));
  CHECK(rope.wpe == nullptr);
}

TEST_CASE("Seq2Seq parameters have the documented names, merged decoder included", "[models]") {
  ModelConfig cfg = small_config(ModelKind::seq2seq);
  Seq2Seq model(cfg, 1);
  for (const char* n :
       {"embed.weight", "pos.weight", "encoder.blocks.0.ln_1.weight", "encoder.blocks.1.attn.q_proj.weight",
        "encoder.blocks.0.mlp.fc.weight", "encoder.ln_f.weight", "decoder.blocks.0.self_attn.q_proj.weight",
        "decoder.blocks.0.cross_attn.k_proj.weight", "decoder.blocks.0.cross_attn.o_proj.weight",
        "decoder.blocks.1.ln_3.bias", "decoder.blocks.1.mlp.proj.weight", "decoder.ln_f.bias"}) {
    INFO(n);
    CHECK(has_name(model, n));
  }
  CHECK_FALSE(has_name(model, "lm_head.weight"));
  CHECK(model.lm_head.same(model.embed->weight));

  cfg.merged = true;
  Seq2Seq merged(cfg, 1);
  for (const char* n :
       {"decoder.blocks.0.ln_1.weight", "decoder.blocks.0.avg_proj.weight", "decoder.blocks.0.cross_attn.q_proj.weight",
        "decoder.blocks.0.o_proj.weight", "decoder.blocks.0.ln_2.weight", "decoder.blocks.0.mlp.fc.weight"}) {
    INFO(n);
    CHECK(has_name(merged, n));
  }
  CHECK_FALSE(has_name(merged, "decoder.blocks.0.cross_attn.o_proj.weight"));  // the shared o_proj replaces it
  CHECK_FALSE(has_name(merged, "decoder.blocks.0.self_attn.q_proj.weight"));
  CHECK_FALSE(has_name(merged, "decoder.blocks.0.ln_3.weight"));
}

TEST_CASE("GPT-2 init: normal(0, 0.02), residual projections scaled by 1/sqrt(2N), biases zero", "[models]") {
  ModelConfig cfg = small_config(ModelKind::gpt);
  cfg.n_layer = 8;
  cfg.n_embd = 256;
  cfg.n_head = 4;
  cfg.vocab_size = 64;
  GPT model(cfg, 7);
  const double residual_std = 0.02 / std::sqrt(2.0 * 8);
  auto params = model.state_dict();
  CHECK(std_of(params.at("blocks.0.attn.o_proj.weight")) == Approx(residual_std).epsilon(0.02));
  CHECK(std_of(params.at("blocks.7.mlp.proj.weight")) == Approx(residual_std).epsilon(0.02));
  CHECK(std_of(params.at("blocks.0.attn.q_proj.weight")) == Approx(0.02).epsilon(0.02));
  CHECK(std_of(params.at("blocks.3.mlp.fc.weight")) == Approx(0.02).epsilon(0.02));
  CHECK(std_of(params.at("wte.weight")) == Approx(0.02).epsilon(0.05));
  CHECK(max_abs_diff(params.at("blocks.0.attn.o_proj.bias"), zeros({256})) == 0.0);
  CHECK(max_abs_diff(params.at("blocks.0.ln_1.weight"), ones({256})) == 0.0);
}

TEST_CASE("a tied LM head shares storage with wte and gets both gradients", "[models]") {
  ModelConfig cfg = small_config(ModelKind::gpt);
  GPT model(cfg, 2);
  CHECK(model.lm_head.same(model.wte->weight));
  CHECK(model.lm_head.storage() == model.wte->weight.storage());
  Tensor ids = ids_tensor({1, 2, 3, 4, 5, 6, 7, 8}, 2, 4);
  model.loss(ids, ids).backward();
  // Token 0 and 9, 10 never appear as inputs: their rows get gradient only through the head.
  std::vector<float> g = model.wte->weight.grad().to_vector<float>();
  double head_only_row = 0;
  for (int64_t j = 0; j < 16; ++j) head_only_row += std::abs(g[static_cast<size_t>(10 * 16 + j)]);
  CHECK(head_only_row > 0);
  // Converting the model keeps the tie.
  model.to(DType::f64);
  CHECK(model.lm_head.dtype() == DType::f64);
  CHECK(model.lm_head.same(model.wte->weight));
}

// ---------------------------------------------------------------------------- blocks

namespace {
// Zeroes a block's MLP output projection, so the block is x + (first sublayer).
void silence(MLP& mlp) {
  NoGradGuard no_grad;
  fill_(mlp.proj->weight, 0.0);
  fill_(mlp.proj->bias, 0.0);
}
}  // namespace

TEST_CASE("blocks are pre-LN residuals, MAtt sums a causal running average and cross-attention", "[models]") {
  ModelConfig cfg = small_config(ModelKind::seq2seq);
  BlockOptions opt{cfg, cfg.n_layer, nullptr};
  Generator gen(11);
  Tensor x = randn({2, 3, 16}, gen, DType::f64), memory = randn({2, 4, 16}, gen, DType::f64);
  NoGradGuard no_grad;

  DecoderBlock decoder(opt, gen);
  decoder.to(DType::f64);
  silence(*decoder.mlp);
  Tensor attended = decoder.attn->forward(decoder.ln_1->forward(x)).out;
  CHECK(max_abs_diff(decoder.forward(x), x + attended) < 1e-14);

  MergedDecoderBlock merged(opt, gen);
  merged.to(DType::f64);
  silence(*merged.mlp);
  Tensor y = merged.ln_1->forward(x);
  Tensor v = merged.avg_proj->forward(y);
  std::vector<Tensor> averages;  // position t: the mean of positions 0..t
  for (int64_t t = 0; t < 3; ++t) averages.push_back(mean(v.slice(1, 0, t + 1), {1}, true));
  Tensor c = merged.cross_attn->forward(y, memory).out;
  Tensor expected = x + merged.o_proj->forward(concat(averages, 1) + c);
  CHECK(max_abs_diff(merged.forward(x, memory, Tensor()), expected) < 1e-12);
  CHECK(merged.cross_attn->o_proj == nullptr);
}

// ---------------------------------------------------------------------------- decoding

TEST_CASE("GPT forward with KV caches equals the full forward", "[models]") {
  ModelConfig base = small_config(ModelKind::gpt);
  std::vector<std::pair<const char*, std::function<void(ModelConfig&)>>> variants = {
      {"learned", [](ModelConfig&) {}},
      {"rope", [](ModelConfig& m) { m.positions = Positions::rope; }},
      {"sinusoidal/gqa",
       [](ModelConfig& m) {
         m.positions = Positions::sinusoidal;
         m.attention.kv_heads = 2;
       }},
      {"additive/untied",
       [](ModelConfig& m) {
         m.attention.score = ScoreKind::additive;
         m.tie_embeddings = false;
       }},
  };
  for (auto& [name, edit] : variants) {
    INFO(name);
    ModelConfig cfg = base;
    edit(cfg);
    GPT model(cfg, 3);
    model.to(DType::f64);
    model.eval();
    NoGradGuard no_grad;
    Tensor ids = ids_tensor({1, 5, 2, 9, 3, 3, 0, 10, 4, 7, 6, 2, 8, 1}, 2, 7);
    Tensor full = model.forward(ids);  // [2,7,11]
    std::vector<KVCache> caches = model.make_caches();
    std::vector<Tensor> pieces = {model.forward(ids.slice(1, 0, 3).contiguous(), &caches)};
    for (int64_t t = 3; t < 7; ++t) pieces.push_back(model.forward(ids.slice(1, t, t + 1).contiguous(), &caches));
    CHECK(caches[0].length() == 7);
    CHECK(max_abs_diff(concat(pieces, 1), full) < 1e-12);
  }
}

TEST_CASE("a sequence longer than block_size is an error naming both numbers", "[models]") {
  ModelConfig cfg = small_config(ModelKind::gpt);
  GPT model(cfg, 4);
  Tensor ids = zeros({1, 9}, DType::i64);
  REQUIRE_THROWS_WITH(model.forward(ids), Contains("9 tokens") && Contains("block_size 8"));
  std::vector<KVCache> caches = model.make_caches();
  model.forward(zeros({1, 6}, DType::i64), &caches);
  REQUIRE_THROWS_WITH(model.forward(zeros({1, 3}, DType::i64), &caches),
                      Contains("6 cached + 3 new") && Contains("block_size 8"));

  Seq2Seq s2s(small_config(ModelKind::seq2seq), 4);
  REQUIRE_THROWS_WITH(s2s.encode(ones({1, 9}, DType::i64)), Contains("seq2seq source") && Contains("9 tokens"));
  REQUIRE_THROWS_WITH(s2s.greedy(ones({1, 3}, DType::i64), 1, 2, 9), Contains("max_len 9"));
}

TEST_CASE("Seq2Seq decoding with caches equals the full decode, greedy equals its argmax", "[models]") {
  for (bool merged : {false, true}) {
    INFO((merged ? "merged" : "cross"));
    ModelConfig cfg = small_config(ModelKind::seq2seq);
    cfg.merged = merged;
    Seq2Seq model(cfg, 5, 0);
    model.to(DType::f64);
    model.eval();
    NoGradGuard no_grad;
    Tensor src = ids_tensor({3, 4, 5, 6, 7, 2, 9, 8, 0, 0}, 2, 5);  // row 1 padded
    Tensor memory = model.encode(src);
    Tensor tgt = ids_tensor({1, 4, 6, 2, 9, 1, 3, 3, 10, 5}, 2, 5);
    Tensor full = model.decode(tgt, memory, src);

    std::vector<DecoderCache> caches = model.make_caches();
    std::vector<Tensor> steps = {model.decode(tgt.slice(1, 0, 2).contiguous(), memory, src, &caches)};
    for (int64_t t = 2; t < 5; ++t)
      steps.push_back(model.decode(tgt.slice(1, t, t + 1).contiguous(), memory, src, &caches));
    CHECK(caches[1].steps == 5);
    CHECK(max_abs_diff(concat(steps, 1), full) < 1e-12);

    // Greedy never meets eos here (-1): every step must equal the argmax of a full decode
    // of the prefix it produced.
    const int64_t bos = 1, max_len = 6;
    Tensor out = model.greedy(src, bos, -1, max_len);
    REQUIRE(out.shape() == Dims{2, max_len});
    Tensor prefix = concat({qkv::full({2, 1}, static_cast<double>(bos), DType::i64), out.slice(1, 0, max_len - 1)}, 1);
    CHECK(argmax_ids(model.decode(prefix.contiguous(), memory, src)).to_vector<int64_t>() == out.to_vector<int64_t>());

    // Stopping at eos: take row 0's first token as eos; row 0 then holds eos, pads after.
    const int64_t eos = out.to_vector<int64_t>()[0];
    Tensor stopped = model.greedy(src, bos, eos, max_len);
    std::vector<int64_t> row0 = stopped.slice(0, 0, 1).contiguous().to_vector<int64_t>();
    CHECK(row0[0] == eos);
    for (size_t t = 1; t < row0.size(); ++t) CHECK(row0[t] == model.pad_id());
  }
}

TEST_CASE("attention weights come back per layer and head, padded source columns get none", "[models]") {
  Seq2Seq model(small_config(ModelKind::seq2seq), 6, 0);
  model.eval();
  Tensor src = ids_tensor({3, 4, 5, 6, 2, 9, 0, 0}, 2, 4);
  Tensor tgt = ids_tensor({1, 4, 6, 1, 3, 3}, 2, 3);
  std::vector<Tensor> cross;
  model.decode(tgt, model.encode(src), src, nullptr, &cross);
  REQUIRE(cross.size() == 2);
  REQUIRE(cross[1].shape() == Dims{2, 4, 3, 4});  // [B,H,T,S]
  std::vector<float> w = cross[1].to_vector<float>();
  for (int64_t h = 0; h < 4; ++h)
    for (int64_t t = 0; t < 3; ++t) {
      const size_t row = static_cast<size_t>(((1 * 4 + h) * 3 + t) * 4);  // batch row 1
      CHECK(w[row] + w[row + 1] + w[row + 2] + w[row + 3] == Approx(1.0));
      CHECK(w[row + 2] == 0.0f);
      CHECK(w[row + 3] == 0.0f);
    }

  GPT gpt(small_config(ModelKind::gpt), 6);
  std::vector<Tensor> self;
  gpt.forward(ids_tensor({1, 2, 3}, 1, 3), nullptr, &self);
  REQUIRE(self.size() == 2);
  CHECK(self[0].shape() == Dims{1, 4, 3, 3});
  CHECK(self[0].to_vector<float>()[1] == 0.0f);  // causal: position 0 does not see position 1
}

TEST_CASE("Seq2Seq loss is label-smoothed cross-entropy over non-pad targets", "[models]") {
  Seq2Seq model(small_config(ModelKind::seq2seq), 7, 0);
  Tensor src = ids_tensor({3, 4, 5, 6, 2, 9, 0, 0}, 2, 4);
  Tensor tgt_in = ids_tensor({1, 4, 6, 1, 3, 3}, 2, 3);
  Tensor tgt_out = ids_tensor({4, 6, 2, 3, 3, 0}, 2, 3);  // the last target is padding
  Tensor logits = model.forward(src, tgt_in).reshape({6, 11});
  CrossEntropyOptions opt;
  opt.label_smoothing = 0.1;
  // The same loss over the five counted rows only.
  Tensor counted = index_select(logits, 0, Tensor::from(std::vector<int64_t>{0, 1, 2, 3, 4}, {5}));
  Tensor expected = cross_entropy(counted, Tensor::from(std::vector<int64_t>{4, 6, 2, 3, 3}, {5}), opt);
  CHECK(model.loss(src, tgt_in, tgt_out, 0.1).item() == Approx(expected.item()).epsilon(1e-6));
  CHECK(model.loss(src, tgt_in, tgt_out, 0.0).item() != Approx(expected.item()).epsilon(1e-6));
}

// Seq2Seq::loss skips the rows that cannot reach the loss (nn/row_subset.h): padded
// sources, targets after a sequence's last target, and the output layer of unscored
// positions. Its loss and every gradient must equal the plain full computation, here with
// padding at the end and in the middle (a mid-sequence pad target still feeds later ones).
TEST_CASE("Seq2Seq loss skipping padded rows equals the full computation, gradients included", "[models]") {
  for (bool merged : {false, true}) {
    INFO("model.merged = " << merged);
    ModelConfig cfg = small_config(ModelKind::seq2seq);
    cfg.merged = merged;
    Seq2Seq model(cfg, 11, 0);
    model.to(DType::f64);
    Tensor src = ids_tensor({3, 0, 5, 6, 2, 9, 0, 0, 7, 8, 9, 10}, 3, 4);
    Tensor tgt_in = ids_tensor({1, 4, 0, 6, 1, 3, 3, 0, 1, 2, 5, 7}, 3, 4);
    Tensor tgt_out = ids_tensor({4, 0, 6, 2, 3, 3, 0, 0, 2, 5, 7, 8}, 3, 4);
    auto grads = [&] {
      std::vector<std::vector<double>> out;
      for (const auto& [name, p] : model.named_parameters()) out.push_back(p.grad().to_vector<double>());
      return out;
    };
    model.zero_grad();
    Tensor skipped = model.loss(src, tgt_in, tgt_out, 0.1);
    skipped.backward();
    const auto skipped_grads = grads();
    model.zero_grad();
    CrossEntropyOptions opt;
    opt.ignore_index = 0;
    opt.label_smoothing = 0.1;
    Tensor full = cross_entropy(model.forward(src, tgt_in).reshape({12, cfg.vocab_size}), tgt_out.reshape({12}), opt);
    full.backward();
    const auto full_grads = grads();
    CHECK(skipped.item() == Approx(full.item()).epsilon(1e-12));
    REQUIRE(skipped_grads.size() == full_grads.size());
    for (size_t i = 0; i < full_grads.size(); ++i)
      for (size_t j = 0; j < full_grads[i].size(); ++j)
        REQUIRE(skipped_grads[i][j] == Approx(full_grads[i][j]).margin(1e-12));
  }
}

TEST_CASE("state_dict round trip reproduces the model's outputs", "[models]") {
  ModelConfig cfg = small_config(ModelKind::gpt);
  cfg.tie_embeddings = false;
  GPT a(cfg, 8), b(cfg, 9);
  Tensor ids = ids_tensor({1, 2, 3, 4, 5, 6}, 2, 3);
  NoGradGuard no_grad;
  CHECK(max_abs_diff(a.forward(ids), b.forward(ids)) > 1e-4);
  b.load_state_dict(a.state_dict());
  CHECK(max_abs_diff(a.forward(ids), b.forward(ids)) == 0.0);

  ModelConfig s = small_config(ModelKind::seq2seq);
  s.merged = true;
  Seq2Seq c(s, 8), d(s, 9);
  d.load_state_dict(c.state_dict());
  CHECK(max_abs_diff(c.forward(ids, ids), d.forward(ids, ids)) == 0.0);
  // A GPT checkpoint is not a Seq2Seq one: the error names a parameter.
  REQUIRE_THROWS_WITH(d.load_state_dict(a.state_dict()), Contains("parameter '"));
}

TEST_CASE("dropout: train outputs differ between calls, eval outputs are identical", "[models]") {
  ModelConfig cfg = small_config(ModelKind::gpt);
  cfg.dropout = 0.2;
  GPT gpt(cfg, 10);
  Tensor ids = ids_tensor({1, 2, 3, 4, 5, 6}, 2, 3);
  NoGradGuard no_grad;
  CHECK(max_abs_diff(gpt.forward(ids), gpt.forward(ids)) > 1e-4);
  gpt.eval();
  CHECK(max_abs_diff(gpt.forward(ids), gpt.forward(ids)) == 0.0);

  cfg.kind = ModelKind::seq2seq;
  Seq2Seq s2s(cfg, 10);
  CHECK(max_abs_diff(s2s.forward(ids, ids), s2s.forward(ids, ids)) > 1e-4);
  s2s.eval();
  CHECK(max_abs_diff(s2s.forward(ids, ids), s2s.forward(ids, ids)) == 0.0);
}

// ---------------------------------------------------------------------------- counts

TEST_CASE("count_parameters from the config equals the built model's count, every variant", "[models]") {
  using Edit = std::function<void(ModelConfig&)>;
  std::vector<std::pair<const char*, Edit>> variants = {
      {"default", [](ModelConfig&) {}},
      {"no_q", [](ModelConfig& m) { m.attention.q_proj = false; }},
      {"no_k", [](ModelConfig& m) { m.attention.k_proj = false; }},
      {"no_v", [](ModelConfig& m) { m.attention.v_proj = false; }},
      {"no_o", [](ModelConfig& m) { m.attention.o_proj = false; }},
      {"shared", [](ModelConfig& m) { m.attention.qk = QKMode::shared; }},
      {"bilinear", [](ModelConfig& m) { m.attention.qk = QKMode::bilinear; }},
      {"rbf", [](ModelConfig& m) { m.attention.score = ScoreKind::rbf; }},
      {"cosine", [](ModelConfig& m) { m.attention.score = ScoreKind::cosine; }},
      {"additive", [](ModelConfig& m) { m.attention.score = ScoreKind::additive; }},
      {"gqa", [](ModelConfig& m) { m.attention.kv_heads = 2; }},
      {"swiglu",
       [](ModelConfig& m) {
         m.mlp = MlpKind::swiglu;
         m.mlp_hidden = 24;
       }},
      {"untied", [](ModelConfig& m) { m.tie_embeddings = false; }},
      {"sinusoidal", [](ModelConfig& m) { m.positions = Positions::sinusoidal; }},
      {"rope", [](ModelConfig& m) { m.positions = Positions::rope; }},
      {"no bias", [](ModelConfig& m) { m.bias = false; }},
      {"shared/no bias/gqa-free/additive",
       [](ModelConfig& m) {
         m.attention.qk = QKMode::shared;
         m.bias = false;
         m.attention.score = ScoreKind::additive;
       }},
      {"no_q no_k no_v no_o",
       [](ModelConfig& m) {
         m.attention.q_proj = m.attention.k_proj = m.attention.v_proj = m.attention.o_proj = false;
       }},
  };
  for (ModelKind kind : {ModelKind::gpt, ModelKind::seq2seq})
    for (bool merged : {false, true}) {
      if (merged && kind == ModelKind::gpt) continue;
      for (auto& [name, edit] : variants) {
        ModelConfig cfg = small_config(kind);
        cfg.merged = merged;
        edit(cfg);
        INFO((kind == ModelKind::gpt ? "gpt " : merged ? "seq2seq merged " : "seq2seq ") << name);
        int64_t built = kind == ModelKind::gpt ? GPT(cfg, 1).num_parameters() : Seq2Seq(cfg, 1).num_parameters();
        CHECK(count_parameters(cfg) == built);
      }
    }
}

TEST_CASE("counting an impossible config fails like building it", "[models]") {
  ModelConfig cfg = small_config(ModelKind::gpt);
  cfg.attention.qk = QKMode::bilinear;
  cfg.positions = Positions::rope;
  REQUIRE_THROWS_WITH(count_parameters(cfg), Contains("bilinear") && Contains("rope"));
  REQUIRE_THROWS_WITH(GPT(cfg, 1), Contains("bilinear") && Contains("rope"));
}

TEST_CASE("training FLOPs per token match hand-computed numbers", "[models]") {
  // gpt-tiny (docs/design.md section 8): V 65, block 64, 4 layers, 4 heads, d 128, untied head.
  ModelConfig tiny;
  tiny.vocab_size = 65;
  tiny.block_size = 64;
  tiny.n_layer = 4;
  tiny.n_head = 4;
  tiny.n_embd = 128;
  tiny.tie_embeddings = false;
  // 6 x (4 x (4 d^2 + 2 x 4 d^2) + V d) + 12 x L x T x d
  const double linear = 4.0 * (4 * 128 * 128 + 2 * 128 * 512) + 65 * 128;  // 794,752
  CHECK(training_flops_per_token(tiny) == 6 * linear + 12.0 * 4 * 64 * 128);
  CHECK(training_flops_per_token(tiny) == 5161728.0);
  tiny.tie_embeddings = true;  // the head still multiplies by the (shared) table
  CHECK(training_flops_per_token(tiny) == 5161728.0);

  // GQA with one k/v head: k and v are 128 x 32; attention unchanged.
  ModelConfig gqa = tiny;
  gqa.attention.kv_heads = 1;
  CHECK(training_flops_per_token(gqa) ==
        6.0 * (4 * (2 * 128 * 128 + 2 * 128 * 32 + 2 * 128 * 512) + 65 * 128) + 12.0 * 4 * 64 * 128);
  CHECK(training_flops_per_token(gqa) == 4571904.0);

  // Additive score: 4 dh per (query, key, head) for v^T tanh(q + k), plus 2 dh for the
  // values: 3 x T x H x 6 dh per layer instead of 3 x T x H x 4 dh.
  ModelConfig additive = tiny;
  additive.attention.score = ScoreKind::additive;
  CHECK(training_flops_per_token(additive) == 6 * linear + 3.0 * 4 * 64 * 4 * (6 * 32));
  CHECK(training_flops_per_token(additive) == 5358336.0);

  // Bilinear: no q/k projections, H d x d matrices in their place (x W_h per query),
  // scores are d-wide dots: 3 x T x H x (2 d + 2 dh) per layer.
  ModelConfig bilinear = tiny;
  bilinear.attention.qk = QKMode::bilinear;
  CHECK(training_flops_per_token(bilinear) ==
        6.0 * (4 * (2 * 128 * 128 + 4 * 128 * 128 + 2 * 128 * 512) + 65 * 128) + 3.0 * 4 * 64 * 4 * (2 * 128 + 2 * 32));
  CHECK(training_flops_per_token(bilinear) == 6537984.0);
}

TEST_CASE("seq2seq FLOPs per target token follow the peer's formula with S = T", "[models]") {
  // bench peer (torch_seq2seq.py): 6 (W_enc + W_dec + V d) + 12 d L (S + T + S) per target token.
  ModelConfig cfg;
  cfg.kind = ModelKind::seq2seq;
  cfg.vocab_size = 8000;
  cfg.n_layer = 3;
  cfg.n_head = 4;
  cfg.n_embd = 256;
  cfg.mlp_hidden = 1024;
  cfg.block_size = 32;
  const double d = 256, ff = 1024, L = 3, T = 32;
  const double w_enc = L * (4 * d * d + 2 * d * ff), w_dec = L * (8 * d * d + 2 * d * ff);
  CHECK(training_flops_per_token(cfg) == 6 * (w_enc + w_dec + 8000 * d) + 12 * d * L * (T + T + T));
  CHECK(training_flops_per_token(cfg) == 46202880.0);

  // Merged decoder: self-attention's four projections become avg_proj + the shared o_proj,
  // cross-attention loses its own o_proj, and the self-attention pair cost 4 d becomes the
  // running average's 2 d (a [T,T] x [T,d] product).
  cfg.merged = true;
  const double w_merged = L * (5 * d * d + 2 * d * ff);
  CHECK(training_flops_per_token(cfg) == 6 * (w_enc + w_merged + 8000 * d) + 3 * L * T * (4 * d + 2 * d + 4 * d));
}

TEST_CASE("Seq2Seq returns every attention's weights: encoder, decoder self, cross", "[models]") {
  const bool merged = GENERATE(false, true);
  INFO((merged ? "merged decoder" : "decoder with self-attention"));
  ModelConfig cfg = small_config(ModelKind::seq2seq);
  cfg.merged = merged;
  Seq2Seq model(cfg, 3);
  model.eval();
  NoGradGuard no_grad;
  const int64_t S = 5, T = 4, H = cfg.n_head;
  Tensor src = Tensor::from(std::vector<int64_t>{3, 4, 5, 6, 7}, {1, S});
  Tensor tgt = Tensor::from(std::vector<int64_t>{1, 8, 9, 2}, {1, T});
  std::vector<Tensor> encoder, cross, decoder;
  model.decode(tgt, model.encode(src, nullptr, &encoder), src, nullptr, &cross, &decoder);
  REQUIRE(encoder.size() == static_cast<size_t>(cfg.n_layer));
  REQUIRE(decoder.size() == static_cast<size_t>(cfg.n_layer));
  for (int64_t l = 0; l < cfg.n_layer; ++l) {
    CHECK(encoder[l].shape() == Dims{1, H, S, S});
    CHECK(cross[l].shape() == Dims{1, H, T, S});
    CHECK(decoder[l].shape() == Dims{1, merged ? 1 : H, T, T});
    // Each query's weights sum to 1; the decoder sees no future position; the merged
    // block's running average gives 1/(t+1) to each of the first t+1 positions.
    const std::vector<double> w = decoder[l].to(DType::f64).to_vector<double>();
    for (int64_t h = 0; h < decoder[l].size(1); ++h)
      for (int64_t t = 0; t < T; ++t) {
        double row = 0;
        for (int64_t s = 0; s < T; ++s) {
          const double v = w[(h * T + t) * T + s];
          row += v;
          if (s > t) CHECK(v == 0);
          if (merged && s <= t) CHECK(v == Approx(1.0 / static_cast<double>(t + 1)));
        }
        CHECK(row == Approx(1.0));
      }
  }
}

// ---------------------------------------------------------------------------- per-attention overrides

TEST_CASE("seq2seq builds each attention from its own config", "[attention][models]") {
  ModelConfig cfg = small_config(ModelKind::seq2seq);
  AttentionOverride& enc = cfg.override_for(AttentionRole::encoder);
  enc.values.score = ScoreKind::cosine;
  enc.keys.insert("score");
  Seq2Seq model(cfg, 3);
  const MultiHeadAttention& encoder_attn = *model.encoder->blocks[0]->attn;
  auto decoder = std::dynamic_pointer_cast<CrossDecoderBlock>(model.decoder->blocks[0]);
  REQUIRE(decoder != nullptr);
  CHECK(encoder_attn.options().variant.score == ScoreKind::cosine);
  CHECK_FALSE(encoder_attn.options().causal);
  CHECK(encoder_attn.score_param.shape() == Dims{4});  // tau
  CHECK(decoder->self_attn->options().variant.score == ScoreKind::dot);
  CHECK(decoder->self_attn->options().causal);
  CHECK(decoder->cross_attn->options().variant.score == ScoreKind::dot);
  CHECK_FALSE(decoder->self_attn->score_param.defined());
  CHECK(count_parameters(cfg) == model.num_parameters());

  // An impossible override is named by its attention.
  ModelConfig bad = cfg;
  bad.attention.score = ScoreKind::rbf;
  bad.override_for(AttentionRole::cross).values.qk = QKMode::bilinear;
  bad.override_for(AttentionRole::cross).keys.insert("qk");
  const std::string why = "attention.cross: qk = bilinear defines the score itself (x W m^T / sqrt(dh)); score = rbf";
  REQUIRE_THROWS_WITH(count_parameters(bad), Contains(why));
  REQUIRE_THROWS_WITH(Seq2Seq(bad, 3), Contains(why));

  Tensor src = Tensor::from(std::vector<int64_t>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor logits = model.forward(src, src);
  CHECK(logits.shape() == Dims{2, 3, 11});
}

TEST_CASE("seq2seq counts follow the per-attention overrides, merged or not", "[attention][models]") {
  for (bool merged : {false, true})
    for (const auto& [role, role_name] : EnumNames<AttentionRole>::table)
      for (const char* variant : {"no_v", "no_o", "cosine", "additive", "gqa", "bilinear_qk"}) {
        INFO((merged ? "merged, " : "") << role_name << ": " << variant);
        ModelConfig cfg = small_config(ModelKind::seq2seq);
        cfg.merged = merged;
        ModelConfig with_variant;
        apply_attention_variants(with_variant, variant);
        AttentionOverride& o = cfg.override_for(role);
        o.values = with_variant.attention;
        for_each_attention_key([&](const char* name, auto) { o.keys.insert(name); });
        if (merged && role == AttentionRole::decoder) {  // no self-attention to override
          CHECK_THROWS_WITH(Seq2Seq(cfg, 3), Contains("[attention.decoder] does not apply"));
          continue;
        }
        CHECK(count_parameters(cfg) == Seq2Seq(cfg, 3).num_parameters());
      }
}

TEST_CASE("every variant of the table counts as the model it builds", "[attention][models]") {
  for (ModelKind kind : {ModelKind::gpt, ModelKind::seq2seq})
    for (const AttentionVariant& v : attention_variants()) {
      INFO(name_of(kind) << " " << v.name);
      ModelConfig cfg = small_config(kind);
      apply_attention_variants(cfg, v.name);
      if (!cfg.override_problem().empty()) {  // a seq2seq-only variant (normalize_queries) in a GPT
        CHECK_THROWS_WITH(GPT(cfg, 1), Contains("is for seq2seq models"));
        continue;
      }
      const int64_t built = kind == ModelKind::gpt ? GPT(cfg, 1).num_parameters() : Seq2Seq(cfg, 1).num_parameters();
      CHECK(count_parameters(cfg) == built);
    }
}
