#include "data/pair_batcher.h"

#include <algorithm>
#include <tuple>

#include "base/error.h"
#include "base/keyed_random.h"

namespace qkv::data {

SpecialIds special_ids(int64_t tokenizer_vocab_size) {
  const auto v = static_cast<int32_t>(tokenizer_vocab_size);
  return {v, v + 1, v + 2, tokenizer_vocab_size + 3};
}

Tensor frame_sources(const std::vector<const std::vector<int32_t>*>& rows, const SpecialIds& ids) {
  size_t S = 0;
  for (const std::vector<int32_t>* r : rows) S = std::max(S, r->size() + 1);
  std::vector<int64_t> src(rows.size() * S, ids.pad);
  for (size_t b = 0; b < rows.size(); ++b) {
    std::copy(rows[b]->begin(), rows[b]->end(), src.begin() + static_cast<std::ptrdiff_t>(b * S));
    src[b * S + rows[b]->size()] = ids.eos;
  }
  return Tensor::from(src, {static_cast<int64_t>(rows.size()), static_cast<int64_t>(S)});
}

std::vector<EncodedPair> encode_pairs(const std::vector<SentencePair>& pairs, const Tokenizer& tokenizer) {
  std::vector<EncodedPair> out;
  out.reserve(pairs.size());
  for (const SentencePair& p : pairs) out.push_back({tokenizer.encode(p.src), tokenizer.encode(p.tgt)});
  return out;
}

Corpus as_text(const ParallelCorpus& corpus) {
  auto lines = [](const std::vector<SentencePair>& pairs) {
    std::string text;
    for (const SentencePair& p : pairs) text += p.src + '\n';
    for (const SentencePair& p : pairs) text += p.tgt + '\n';
    return text;
  };
  return {corpus.name, corpus.origin, lines(corpus.train), lines(corpus.val), lines(corpus.test)};
}

PairBatcher::PairBatcher(std::vector<EncodedPair> pairs, int64_t batch_size, int64_t max_len, SpecialIds ids,
                         std::string split)
    : batch_size_(batch_size), ids_(ids) {
  QKV_CHECK(batch_size > 0 && max_len > 1, "pair batcher: batch_size and block_size must be positive, got {} and {}",
        batch_size, max_len);
  const size_t limit = static_cast<size_t>(max_len) - 1;  // room for eos (source) or bos (target)
  // Ties in length are ordered by a fixed hash of the index, so that a window does not
  // hold consecutive verses of one chapter.
  constexpr uint64_t kTieKey = 0x7a1e5;
  struct Keyed {
    size_t tgt, src;
    uint64_t tie;
    EncodedPair* pair;
  };
  std::vector<Keyed> kept;
  for (size_t i = 0; i < pairs.size(); ++i) {
    EncodedPair& p = pairs[i];
    if (p.src.empty() || p.tgt.empty() || p.src.size() > limit || p.tgt.size() > limit)
      ++dropped_;
    else
      kept.push_back({p.tgt.size(), p.src.size(), keyed_bits(kTieKey, i), &p});
  }
  std::sort(kept.begin(), kept.end(), [](const Keyed& a, const Keyed& b) {
    return std::tie(a.tgt, a.src, a.tie) < std::tie(b.tgt, b.src, b.tie);
  });
  for (const Keyed& k : kept) pairs_.push_back(std::move(*k.pair));
  QKV_CHECK(!pairs_.empty(), "pair batcher: the {} split has no pair that fits block_size {} ({} pairs were longer)", split,
        max_len, dropped_);
}

PairBatch PairBatcher::frame(const std::vector<const EncodedPair*>& rows) const {
  size_t T = 0;
  std::vector<const std::vector<int32_t>*> sources;
  for (const EncodedPair* p : rows) {
    T = std::max(T, p->tgt.size() + 1);
    sources.push_back(&p->src);
  }
  const auto B = static_cast<int64_t>(rows.size());
  std::vector<int64_t> in(rows.size() * T, ids_.pad), out(rows.size() * T, ids_.pad);
  PairBatch batch;
  batch.src = frame_sources(sources, ids_);
  for (size_t b = 0; b < rows.size(); ++b) {
    const EncodedPair& p = *rows[b];
    in[b * T] = ids_.bos;
    std::copy(p.tgt.begin(), p.tgt.end(), in.begin() + static_cast<std::ptrdiff_t>(b * T + 1));
    std::copy(p.tgt.begin(), p.tgt.end(), out.begin() + static_cast<std::ptrdiff_t>(b * T));
    out[b * T + p.tgt.size()] = ids_.eos;
    batch.target_tokens += static_cast<int64_t>(p.tgt.size()) + 1;
  }
  batch.tgt_in = Tensor::from(in, {B, static_cast<int64_t>(T)});
  batch.tgt_out = Tensor::from(out, {B, static_cast<int64_t>(T)});
  return batch;
}

PairBatch PairBatcher::next(Generator& gen) const {
  const size_t count = std::min(pairs_.size(), static_cast<size_t>(batch_size_));
  const size_t first = gen.next_u64() % (pairs_.size() - count + 1);
  return slice(first, count);
}

PairBatch PairBatcher::slice(size_t first, size_t count) const {
  QKV_CHECK(first < pairs_.size() && count > 0, "pair batcher: slice [{}, {}) outside the {} pairs", first, first + count,
        pairs_.size());
  std::vector<const EncodedPair*> rows;
  for (size_t i = first; i < std::min(first + count, pairs_.size()); ++i) rows.push_back(&pairs_[i]);
  return frame(rows);
}

}  // namespace qkv::data
