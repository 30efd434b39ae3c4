#include "infer/translate.h"

#include <algorithm>
#include <numeric>

#include "base/error.h"
#include "autograd/tape.h"
#include "infer/beam_search.h"

namespace qkv {
namespace {

// Decoded ids -> the tokenizer's ids only: stops at eos, drops pad and bos.
std::vector<int32_t> text_ids(const std::vector<int64_t>& row, const data::SpecialIds& ids) {
  std::vector<int32_t> out;
  for (int64_t id : row) {
    if (id == ids.eos) break;
    if (id != ids.pad && id != ids.bos) out.push_back(static_cast<int32_t>(id));
  }
  return out;
}

// Each sentence's output ids: greedy, or beam search's best hypothesis.
std::vector<std::vector<int64_t>> decode(const nn::Seq2Seq& model, const Tensor& src, const data::SpecialIds& ids,
                                         const TranslateOptions& options) {
  const int64_t block = model.config().block_size;
  if (options.beam > 1) return nn::beam_search(model, src, ids.bos, ids.eos, block, {options.beam, options.length_penalty});
  Tensor decoded = model.greedy(src, ids.bos, ids.eos, block);
  const std::vector<int64_t> flat = decoded.to_vector<int64_t>();
  const auto L = static_cast<std::ptrdiff_t>(decoded.size(1));
  std::vector<std::vector<int64_t>> rows;
  for (int64_t b = 0; b < decoded.size(0); ++b) rows.emplace_back(flat.begin() + b * L, flat.begin() + (b + 1) * L);
  return rows;
}

}  // namespace

Translations translate(const nn::Seq2Seq& model, const data::Tokenizer& tokenizer, const data::SpecialIds& ids,
                       const std::vector<std::string>& sources, const TranslateOptions& options) {
  QKV_CHECK(options.beam >= 1 && options.batch_size >= 1, "translate: beam and batch size must be positive, got {} and {}",
        options.beam, options.batch_size);
  NoGradGuard no_grad;
  const int64_t block = model.config().block_size;
  Translations out;
  out.text.resize(sources.size());
  std::vector<std::vector<int32_t>> encoded;
  for (const std::string& s : sources) {
    std::vector<int32_t> e = tokenizer.encode(s);
    if (static_cast<int64_t>(e.size()) > block - 1) {
      e.resize(static_cast<size_t>(block - 1));
      ++out.truncated;
    }
    encoded.push_back(std::move(e));
  }
  std::vector<size_t> order(sources.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return encoded[a].size() < encoded[b].size(); });
  for (size_t first = 0; first < order.size(); first += static_cast<size_t>(options.batch_size)) {
    const size_t n = std::min(order.size() - first, static_cast<size_t>(options.batch_size));
    std::vector<const std::vector<int32_t>*> batch;
    for (size_t b = 0; b < n; ++b) batch.push_back(&encoded[order[first + b]]);
    std::vector<std::vector<int64_t>> rows = decode(model, data::frame_sources(batch, ids), ids, options);
    for (size_t b = 0; b < n; ++b) out.text[order[first + b]] = tokenizer.decode(text_ids(rows[b], ids));
  }
  return out;
}

}  // namespace qkv
