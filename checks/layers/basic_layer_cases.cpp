#include "autograd/autograd.h"
#include "checks/layers/layer_cases.h"
#include "nn/layers.h"
#include "nn/mlp.h"

namespace qkv::nn {

namespace {
template <typename M>
std::shared_ptr<M> in_f64(std::shared_ptr<M> m) {
  m->to(DType::f64);
  return m;
}
}  // namespace

void add_basic_layer_cases(std::vector<LayerCase>& out) {
  using V = const std::vector<Tensor>&;
  Generator gen(31);
  {
    auto m = in_f64(std::make_shared<Linear>(5, 3, true, gen, 0.5));
    out.push_back({"linear", "bias", m, {input_leaf({2, 4, 5}, gen)}, {"x"}, [m](V in) { return m->forward(in[0]); }});
    auto nb = in_f64(std::make_shared<Linear>(5, 3, false, gen, 0.5));
    out.push_back({"linear", "no bias", nb, {input_leaf({4, 5}, gen)}, {"x"}, [nb](V in) { return nb->forward(in[0]); }});
  }
  {
    auto m = in_f64(std::make_shared<Embedding>(6, 4, gen, 0.5));
    Tensor ids = Tensor::from({1, 5, 1, 0, 2, 5}, {2, 3}, DType::i64);
    out.push_back({"embedding", "repeated ids", m, {ids}, {"ids"}, [m](V in) { return m->forward(in[0]); }});
  }
  {
    auto ln = in_f64(std::make_shared<LayerNorm>(6, true));
    copy_(ln->weight, randn({6}, gen, DType::f64));  // non-trivial affine so its gradient matters
    out.push_back({"layer_norm", "affine", ln, {input_leaf({3, 6}, gen)}, {"x"}, [ln](V in) { return ln->forward(in[0]); }});
    auto rms = in_f64(std::make_shared<RMSNorm>(6));
    copy_(rms->weight, randn({6}, gen, DType::f64));
    out.push_back({"rms_norm", "weight", rms, {input_leaf({3, 6}, gen)}, {"x"}, [rms](V in) { return rms->forward(in[0]); }});
  }
  for (MlpKind kind : {MlpKind::gelu, MlpKind::swiglu}) {
    auto m = in_f64(std::make_shared<MLP>(4, 8, kind, true, gen, 0.5, 0.5));
    out.push_back({"mlp", kind == MlpKind::gelu ? "gelu" : "swiglu", m, {input_leaf({2, 3, 4}, gen)}, {"x"},
                   [m](V in) { return m->forward(in[0]); }});
  }
}

}  // namespace qkv::nn
