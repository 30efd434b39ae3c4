#include "infer/generate.h"

#include <algorithm>
#include <cmath>

#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {
namespace {

Tensor ids_tensor(const std::vector<int32_t>& ids, size_t begin, size_t end) {
  Tensor t = Tensor::empty({1, static_cast<int64_t>(end - begin)}, DType::i64);
  for (size_t i = begin; i < end; ++i) t.data<int64_t>()[i - begin] = ids[i];
  return t;
}

// Draws the next id from the logits of the last position.
int32_t sample_next(const Tensor& logits, const SampleOptions& opt, Generator& gen) {
  const int64_t V = logits.size(-1), T = logits.size(1);
  std::vector<float> all = logits.to_vector<float>();
  std::vector<double> z(all.begin() + (T - 1) * V, all.begin() + T * V);
  if (opt.temperature <= 0) return static_cast<int32_t>(std::max_element(z.begin(), z.end()) - z.begin());
  for (double& v : z) v /= opt.temperature;
  if (opt.top_k > 0 && opt.top_k < V) {
    std::vector<double> sorted = z;
    std::nth_element(sorted.begin(), sorted.begin() + (opt.top_k - 1), sorted.end(), std::greater<>());
    double kth = sorted[opt.top_k - 1];
    for (double& v : z)
      if (v < kth) v = -INFINITY;
  }
  double mx = *std::max_element(z.begin(), z.end()), total = 0;
  for (double& v : z) total += (v = std::exp(v - mx));
  double r = gen.uniform() * total;
  for (int64_t i = 0; i < V; ++i) {
    r -= z[i];
    if (r <= 0) return static_cast<int32_t>(i);
  }
  return static_cast<int32_t>(V - 1);
}

}  // namespace

std::vector<int32_t> generate(const nn::GPT& model, std::vector<int32_t> ids, const SampleOptions& opt) {
  QKV_CHECK(!ids.empty(), "sample: the prompt encodes to no tokens");
  NoGradGuard no_grad;
  Generator gen(opt.seed);
  const size_t block = static_cast<size_t>(model.config().block_size);
  std::vector<nn::KVCache> caches = model.make_caches();
  size_t cached = 0;  // ids[cached_from, cached_from + cached) are in the cache
  size_t cached_from = 0;
  for (int64_t n = 0; n < opt.max_new_tokens; ++n) {
    Tensor logits;
    if (!opt.use_cache) {
      size_t begin = ids.size() > block ? ids.size() - block : 0;
      logits = model.forward(ids_tensor(ids, begin, ids.size()));
    } else {
      if (cached == 0 || ids.size() - cached_from > block) {
        // (Re)fill the cache from the newest tokens: all of a short prompt, else half a block.
        cached_from = ids.size() > block ? ids.size() - std::max<size_t>(block / 2, 1) : 0;
        caches = model.make_caches();
        logits = model.forward(ids_tensor(ids, cached_from, ids.size()), &caches);
      } else {
        logits = model.forward(ids_tensor(ids, ids.size() - 1, ids.size()), &caches);
      }
      cached = ids.size() - cached_from;
    }
    ids.push_back(sample_next(logits, opt, gen));
  }
  return ids;
}

}  // namespace qkv
