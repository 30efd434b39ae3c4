// Gradcheck cases for the blocks and the two models, in float64 at tiny sizes:
// blocks take x (and the encoder memory) as leaves; the models are checked end to end
// through their loss, so every parameter's gradient passes through the whole model.
#include "autograd/autograd.h"
#include "nn/blocks.h"
#include "checks/layers/layer_cases.h"
#include "nn/gpt.h"
#include "nn/seq2seq.h"

namespace qkv::nn {

namespace {

using Inputs = const std::vector<Tensor>&;

// d 8, 2 heads, 2 layers, MLP hidden 16, block 4, no dropout: every case runs in well under a second.
ModelConfig tiny_config(ModelKind kind) {
  ModelConfig m;
  m.kind = kind;
  m.vocab_size = 7;
  m.n_layer = 2;
  m.n_head = 2;
  m.n_embd = 8;
  m.block_size = 4;
  m.mlp_hidden = 16;
  return m;
}

// Converts to float64 and redraws every parameter from N(0, std): at the models' own
// 0.02 init the gradients would be too small for the finite differences to mean much.
template <typename M>
std::shared_ptr<M> prepared(std::shared_ptr<M> m, Generator& gen, double std = 0.4) {
  m->to(DType::f64);
  NoGradGuard no_grad;
  for (const Tensor& p : m->parameters()) copy_(p, randn(p.shape(), gen, DType::f64, 0.0, std));
  return m;
}

// [2,S] int32: row 0 has no padding, row 1 its last `padded` positions.
Tensor padding_mask(int64_t S, int64_t padded) {
  std::vector<int32_t> mask(static_cast<size_t>(2 * S), 0);
  for (int64_t s = S - padded; s < S; ++s) mask[static_cast<size_t>(S + s)] = 1;
  return Tensor::from(mask, {2, S});
}

void add_block_cases(std::vector<LayerCase>& out, Generator& gen) {
  auto block_options = [](auto edit) {
    ModelConfig m = tiny_config(ModelKind::seq2seq);
    edit(m);
    return BlockOptions{m, m.n_layer, nullptr};
  };
  auto plain = [](ModelConfig&) {};
  auto rope_gqa_swiglu = [](ModelConfig& m) {
    m.positions = Positions::rope;
    m.attention.kv_heads = 1;
    m.mlp = MlpKind::swiglu;
  };
  const Tensor pad = padding_mask(4, 1);

  for (auto [variant, edit] : {std::pair{"causal", +plain}, std::pair{"causal/rope/gqa/swiglu", +rope_gqa_swiglu}}) {
    auto m = prepared(std::make_shared<DecoderBlock>(block_options(edit), gen), gen);
    out.push_back({"decoder_block", variant, m, {input_leaf({2, 3, 8}, gen)}, {"x"}, [m](Inputs in) {
                     return m->forward(in[0]);
                   }});
  }
  {
    auto m = prepared(std::make_shared<EncoderBlock>(block_options(plain), gen), gen);
    out.push_back(
        {"encoder_block", "padding", m, {input_leaf({2, 4, 8}, gen), pad}, {"x", "src_padding"}, [m](Inputs in) {
           return m->forward(in[0], in[1]);
         }});
  }
  auto no_bias = [](ModelConfig& m) { m.bias = false; };
  auto no_v_no_o = [](ModelConfig& m) {
    m.attention.v_proj = false;
    m.attention.o_proj = false;
  };
  for (auto [variant, edit] : {std::pair{"padding", +plain}, std::pair{"padding/no bias", +no_bias}}) {
    auto m = prepared(std::make_shared<CrossDecoderBlock>(block_options(edit), gen), gen);
    out.push_back({"cross_decoder_block",
                   variant,
                   m,
                   {input_leaf({2, 3, 8}, gen), input_leaf({2, 4, 8}, gen), pad},
                   {"x", "memory", "src_padding"},
                   [m](Inputs in) { return m->forward(in[0], in[1], in[2]); }});
  }
  for (auto [variant, edit] : {std::pair{"padding", +plain}, std::pair{"padding/no v_proj, o_proj", +no_v_no_o}}) {
    auto m = prepared(std::make_shared<MergedDecoderBlock>(block_options(edit), gen), gen);
    out.push_back({"merged_decoder_block",
                   variant,
                   m,
                   {input_leaf({2, 3, 8}, gen), input_leaf({2, 4, 8}, gen), pad},
                   {"x", "memory", "src_padding"},
                   [m](Inputs in) { return m->forward(in[0], in[1], in[2]); }});
  }
}

void add_gpt_cases(std::vector<LayerCase>& out, Generator& gen) {
  const Tensor ids = Tensor::from({0, 3, 6, 2, 5, 1, 1, 4}, {2, 4}, DType::i64);
  const Tensor targets = Tensor::from({3, 6, 2, 5, 1, 1, 4, 0}, {2, 4}, DType::i64);
  struct Variant {
    const char* name;
    bool tied;
    Positions positions;
  };
  for (Variant v :
       {Variant{"untied/learned", false, Positions::learned}, Variant{"tied/learned", true, Positions::learned},
        Variant{"tied/rope", true, Positions::rope}, Variant{"untied/sinusoidal", false, Positions::sinusoidal}}) {
    ModelConfig cfg = tiny_config(ModelKind::gpt);
    cfg.tie_embeddings = v.tied;
    cfg.positions = v.positions;
    auto m = prepared(std::make_shared<GPT>(cfg, 5), gen);
    out.push_back(
        {"gpt", v.name, m, {ids, targets}, {"ids", "targets"}, [m](Inputs in) { return m->loss(in[0], in[1]); }});
  }
}

void add_seq2seq_cases(std::vector<LayerCase>& out, Generator& gen) {
  // pad 0: source row 1 ends in padding, target row 1 has one ignored position.
  const Tensor src = Tensor::from({3, 4, 5, 6, 2, 5, 0, 0}, {2, 4}, DType::i64);
  const Tensor tgt_in = Tensor::from({1, 4, 6, 1, 3, 2}, {2, 3}, DType::i64);
  const Tensor tgt_out = Tensor::from({4, 6, 2, 3, 2, 0}, {2, 3}, DType::i64);
  for (bool merged : {false, true}) {
    ModelConfig cfg = tiny_config(ModelKind::seq2seq);
    cfg.n_layer = 1;  // per side: encoder and decoder, each checked end to end through the loss
    cfg.merged = merged;
    auto m = prepared(std::make_shared<Seq2Seq>(cfg, 6, 0), gen);
    out.push_back({"seq2seq",
                   merged ? "merged/label smoothing" : "cross/label smoothing",
                   m,
                   {src, tgt_in, tgt_out},
                   {"src", "tgt_in", "tgt_out"},
                   [m](Inputs in) { return m->loss(in[0], in[1], in[2], 0.1); }});
  }
}

}  // namespace

void add_model_layer_cases(std::vector<LayerCase>& out) {
  Generator gen(37);
  add_block_cases(out, gen);
  add_gpt_cases(out, gen);
  add_seq2seq_cases(out, gen);
}

}  // namespace qkv::nn
