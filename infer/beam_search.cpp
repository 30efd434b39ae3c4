#include "infer/beam_search.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "autograd/autograd.h"

namespace qkv::nn {
namespace {

constexpr double kNoBeam = -std::numeric_limits<double>::infinity();  // log_prob of an empty slot

// The K live beams of every sentence: row b*K + k holds beam k of sentence b.
struct LiveBeams {
  std::vector<std::vector<int64_t>> tokens;  // generated so far, per row
  std::vector<double> log_probs;             // kNoBeam for an empty slot
  std::vector<int64_t> parents;              // the row each one continues (cache rows to keep)
  std::vector<int64_t> last_tokens;          // fed to the decoder at the next step
};

// The fixed quantities of one search.
struct Search {
  int64_t K, V, eos_id, pad_id, max_len;
  double alpha;
};

struct Continuation {
  double log_prob;
  int64_t row, token;
};

// The best `count` continuations of sentence b's live beams, highest log_prob first
// (ties: lower row, then lower token, so one beam picks tokens as greedy's argmax does).
std::vector<Continuation> best_continuations(const LiveBeams& live, const std::vector<double>& step_log_probs,
                                             int64_t b, const Search& s, size_t count) {
  const int64_t K = s.K, V = s.V;
  std::vector<Continuation> all;
  for (int64_t row = b * K; row < (b + 1) * K; ++row) {
    if (live.log_probs[row] == kNoBeam) continue;
    for (int64_t v = 0; v < V; ++v) all.push_back({live.log_probs[row] + step_log_probs[row * V + v], row, v});
  }
  count = std::min(count, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count), all.end(),
                    [](const Continuation& a, const Continuation& c) {
                      if (a.log_prob != c.log_prob) return a.log_prob > c.log_prob;
                      return a.row != c.row ? a.row < c.row : a.token < c.token;
                    });
  all.resize(count);
  return all;
}

// Keeps `finished` sorted best first (an earlier hypothesis first on a tie) and at most K long.
void add_finished(std::vector<BeamHypothesis>& finished, BeamHypothesis h, size_t K) {
  auto at = std::upper_bound(finished.begin(), finished.end(), h.score,
                             [](double score, const BeamHypothesis& f) { return score > f.score; });
  finished.insert(at, std::move(h));
  if (finished.size() > K) finished.pop_back();
}

BeamHypothesis hypothesis(std::vector<int64_t> tokens, bool ended, double log_prob, double alpha) {
  const int64_t length = static_cast<int64_t>(tokens.size()) + (ended ? 1 : 0);
  return {std::move(tokens), ended, log_prob, log_prob / length_penalty(length, alpha)};
}

// Sentence b's step: the best K non-eos continuations become its live beams, eos among
// the first K ranks finishes a hypothesis. Returns how many live beams it got.
int64_t advance_sentence(const LiveBeams& live, LiveBeams& next, std::vector<BeamHypothesis>& finished,
                         const std::vector<double>& step_log_probs, int64_t b, const Search& s) {
  const int64_t K = s.K;
  const std::vector<Continuation> best = best_continuations(live, step_log_probs, b, s, static_cast<size_t>(2 * K));
  int64_t filled = 0;
  for (size_t rank = 0; rank < best.size() && filled < K; ++rank) {
    const Continuation& c = best[rank];
    if (c.token == s.eos_id) {
      if (rank < static_cast<size_t>(K))
        add_finished(finished, hypothesis(live.tokens[c.row], true, c.log_prob, s.alpha), K);
      continue;
    }
    const int64_t slot = b * K + filled++;
    next.tokens[slot] = live.tokens[c.row];
    next.tokens[slot].push_back(c.token);
    next.log_probs[slot] = c.log_prob;
    next.parents[slot] = c.row;
    next.last_tokens[slot] = c.token;
  }
  for (int64_t slot = b * K + filled; slot < (b + 1) * K; ++slot) {  // empty slots decode pads, never chosen
    next.tokens[slot].clear();
    next.log_probs[slot] = kNoBeam;
    next.parents[slot] = b * K;
    next.last_tokens[slot] = s.pad_id;
  }
  return filled;
}

// Whether sentence b is done after its step t: at max_len its live hypotheses join the
// finished ones as they are; before, it is done when no live beam can still enter the K
// best, a live log_prob p reaching at most p / lp(max_len) (see the header).
bool sentence_done(std::vector<BeamHypothesis>& finished, const LiveBeams& next, int64_t live_count, int64_t b,
                   int64_t t, const Search& s) {
  const int64_t first = b * s.K;  // slots are filled best first
  if (t + 1 == s.max_len) {
    for (int64_t slot = first; slot < first + live_count; ++slot)
      add_finished(finished, hypothesis(next.tokens[slot], false, next.log_probs[slot], s.alpha), s.K);
    return true;
  }
  if (live_count == 0) return true;
  if (static_cast<int64_t>(finished.size()) < s.K) return false;
  return finished.back().score >= next.log_probs[first] / length_penalty(s.max_len, s.alpha);
}

}  // namespace

double length_penalty(int64_t length, double alpha) {
  return std::pow((5.0 + static_cast<double>(length)) / 6.0, alpha);
}

void select_cache_rows(DecoderCache& cache, const Tensor& rows) {
  for (Tensor* t : {&cache.self.k, &cache.self.v, &cache.cross.k, &cache.cross.v, &cache.running_sum})
    if (t->defined()) *t = index_select(*t, 0, rows);
}

std::vector<std::vector<BeamHypothesis>> beam_search_hypotheses(const Seq2Seq& model, const Tensor& src, int64_t bos_id,
                                                                int64_t eos_id, int64_t max_len,
                                                                const BeamOptions& opt) {
  const ModelConfig& cfg = model.config();
  QKV_CHECK(max_len >= 1 && max_len <= cfg.block_size, "beam search: max_len {} outside [1, block_size {}]", max_len,
        cfg.block_size);
  QKV_CHECK(src.dim() == 2 && src.size(0) > 0, "beam search: expected source ids [B,S] with B > 0, got {}", describe(src));
  QKV_CHECK(opt.beam >= 1, "beam search: beam {} (expected >= 1)", opt.beam);
  QKV_CHECK(opt.length_penalty >= 0, "beam search: length_penalty {} (expected >= 0)", opt.length_penalty);
  QKV_CHECK(bos_id >= 0 && bos_id < cfg.vocab_size, "beam search: bos_id {} outside the vocabulary [0, {})", bos_id,
        cfg.vocab_size);
  NoGradGuard no_grad;
  const int64_t B = src.size(0), K = opt.beam, V = cfg.vocab_size, S = src.size(1);
  const Search search{K, V, eos_id, model.pad_id(), max_len, opt.length_penalty};

  // Every sentence's source and memory repeated for its K beams, once: row b*K + k.
  std::vector<int64_t> sentence_of_row, src_ids = src.to_vector<int64_t>(), beam_src_ids;
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k) {
      sentence_of_row.push_back(b);
      beam_src_ids.insert(beam_src_ids.end(), src_ids.begin() + b * S, src_ids.begin() + (b + 1) * S);
    }
  const Tensor beam_src = Tensor::from(beam_src_ids, {B * K, S});
  const Tensor memory = index_select(model.encode(src), 0, Tensor::from(sentence_of_row, {B * K}));

  // Only beam 0 of each sentence is live at first: K copies of bos would fill the beam
  // with K copies of the same continuation.
  const auto empty_beams = [&] {
    return LiveBeams{std::vector<std::vector<int64_t>>(B * K), std::vector<double>(B * K, kNoBeam),
                     std::vector<int64_t>(B * K), std::vector<int64_t>(B * K, model.pad_id())};
  };
  LiveBeams live = empty_beams();
  for (int64_t b = 0; b < B; ++b) {
    live.log_probs[b * K] = 0;
    live.last_tokens[b * K] = bos_id;
  }
  std::vector<std::vector<BeamHypothesis>> finished(B);
  std::vector<bool> done(B, false);
  std::vector<DecoderCache> caches = model.make_caches();

  for (int64_t t = 0; t < max_len; ++t) {
    Tensor logits = model.decode(Tensor::from(live.last_tokens, {B * K, 1}), memory, beam_src, &caches);
    const std::vector<double> step_log_probs = log_softmax(logits.reshape({B * K, V}), -1).to_vector<double>();
    LiveBeams next = empty_beams();
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) {  // keeps decoding pads in its rows until the whole batch is done
        for (int64_t row = b * K; row < (b + 1) * K; ++row) next.parents[row] = row;
        continue;
      }
      const int64_t live_count = advance_sentence(live, next, finished[b], step_log_probs, b, search);
      done[b] = sentence_done(finished[b], next, live_count, b, t, search);
    }
    if (std::all_of(done.begin(), done.end(), [](bool d) { return d; })) break;
    const Tensor parents = Tensor::from(next.parents, {B * K});
    for (DecoderCache& cache : caches) select_cache_rows(cache, parents);
    live = std::move(next);
  }
  return finished;
}

std::vector<std::vector<int64_t>> beam_search(const Seq2Seq& model, const Tensor& src, int64_t bos_id, int64_t eos_id,
                                              int64_t max_len, const BeamOptions& opt) {
  std::vector<std::vector<int64_t>> best;
  for (auto& hypotheses : beam_search_hypotheses(model, src, bos_id, eos_id, max_len, opt))
    best.push_back(std::move(hypotheses.front().tokens));
  return best;
}

}  // namespace qkv::nn
