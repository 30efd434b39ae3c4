#include "eval/translation_metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <unordered_map>

#include "base/error.h"
#include "eval/tokenize_13a.h"
#include "data/utf8.h"

namespace qkv {
namespace {

constexpr int kBleuOrder = 4;

template <typename Key>
using Counts = std::unordered_map<Key, int64_t>;

// Hypothesis n-grams found in the reference, each counted at most as often as there.
template <typename Key>
int64_t clipped_matches(const Counts<Key>& hyp, const Counts<Key>& ref) {
  int64_t matches = 0;
  for (const auto& [ngram, count] : hyp) {
    auto it = ref.find(ngram);
    if (it != ref.end()) matches += std::min(count, it->second);
  }
  return matches;
}

void check_corpus(size_t hypotheses, const std::vector<std::string>& references, const char* metric) {
  QKV_CHECK(hypotheses == references.size(), "{}: {} hypotheses for {} references (expected one reference per hypothesis)",
        metric, hypotheses, references.size());
  QKV_CHECK(hypotheses > 0, "{}: expected at least one hypothesis, got an empty corpus", metric);
  for (size_t i = 0; i < references.size(); ++i)
    QKV_CHECK(!references[i].empty(), "{}: reference {} is empty (expected a non-empty line)", metric, i);
}

// ---------------------------------------------------------------------------- BLEU

// A line as sacreBLEU's BLEU sees it: trailing whitespace dropped, 13a tokens.
std::vector<std::string> bleu_tokens(const std::string& line) {
  return data::split_whitespace(tokenize_13a(data::strip_trailing_whitespace(line)));
}

// The n-grams of one order, keyed by their tokens joined with spaces (tokens hold no
// whitespace, so keys never collide).
Counts<std::string> word_ngrams(const std::vector<std::string>& tokens, size_t n) {
  Counts<std::string> counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i) {
    std::string key = tokens[i];
    for (size_t k = i + 1; k < i + n; ++k) key += ' ' + tokens[k];
    ++counts[key];
  }
  return counts;
}

// sacreBLEU's _get_closest_ref_len: the reference length nearest the hypothesis length,
// the shorter one on a tie.
int64_t closest_reference_length(int64_t hyp_len, const std::vector<int64_t>& ref_lens) {
  int64_t best = ref_lens.front();
  for (int64_t len : ref_lens) {
    const int64_t diff = std::abs(hyp_len - len), best_diff = std::abs(hyp_len - best);
    if (diff < best_diff || (diff == best_diff && len < best)) best = len;
  }
  return best;
}

}  // namespace

BleuScore bleu_from_counts(const std::array<int64_t, 4>& matches, const std::array<int64_t, 4>& totals, int64_t sys_len,
                           int64_t ref_len) {
  BleuScore s;
  s.matches = matches;
  s.totals = totals;
  s.sys_len = sys_len;
  s.ref_len = ref_len;
  s.bp = sys_len >= ref_len ? 1.0 : sys_len > 0 ? std::exp(1.0 - static_cast<double>(ref_len) / sys_len) : 0.0;
  if (std::all_of(matches.begin(), matches.end(), [](int64_t m) { return m == 0; })) return s;

  double halvings = 1;  // "exp" smoothing: 2^k for the k-th order without a match
  bool some_order_empty = false;
  for (int n = 0; n < kBleuOrder; ++n) {
    if (totals[n] == 0) {  // sacreBLEU stops here, leaving this and later precisions at 0
      some_order_empty = true;
      break;
    }
    if (matches[n] == 0) {
      halvings *= 2;
      s.precisions[n] = 100.0 / (halvings * static_cast<double>(totals[n]));
    } else {
      s.precisions[n] = 100.0 * static_cast<double>(matches[n]) / static_cast<double>(totals[n]);
    }
  }
  // sacreBLEU takes log(0) as -9999999999, which makes the score 0 (exp underflows).
  if (some_order_empty) return s;
  double log_sum = 0;
  for (double p : s.precisions) log_sum += std::log(p);
  s.score = s.bp * std::exp(log_sum / kBleuOrder);
  return s;
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::vector<std::string>>& reference_sets) {
  QKV_CHECK(!reference_sets.empty(), "corpus_bleu: expected at least one set of references, got none");
  for (const auto& references : reference_sets) check_corpus(hypotheses.size(), references, "corpus_bleu");
  std::array<int64_t, 4> matches{}, totals{};
  int64_t sys_len = 0, ref_len = 0;
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    std::vector<std::vector<std::string>> ref_tokens;
    std::vector<int64_t> ref_lens;
    for (const auto& references : reference_sets) {
      ref_tokens.push_back(bleu_tokens(references[i]));
      ref_lens.push_back(static_cast<int64_t>(ref_tokens.back().size()));
    }
    const std::vector<std::string> tokens = bleu_tokens(hypotheses[i]);
    sys_len += static_cast<int64_t>(tokens.size());
    ref_len += closest_reference_length(static_cast<int64_t>(tokens.size()), ref_lens);
    for (size_t n = 1; n <= kBleuOrder; ++n) {
      Counts<std::string> best_ref;  // each n-gram's largest count in any one reference
      for (const auto& ref : ref_tokens)
        for (const auto& [ngram, count] : word_ngrams(ref, n)) best_ref[ngram] = std::max(best_ref[ngram], count);
      if (tokens.size() >= n) totals[n - 1] += static_cast<int64_t>(tokens.size() - n + 1);
      matches[n - 1] += clipped_matches(word_ngrams(tokens, n), best_ref);
    }
  }
  BleuScore s = bleu_from_counts(matches, totals, sys_len, ref_len);
  s.n_refs = static_cast<int64_t>(reference_sets.size());
  return s;
}

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references) {
  return corpus_bleu(hypotheses, std::vector<std::vector<std::string>>{references});
}

std::string BleuScore::signature() const {
  return fmt::format("nrefs:{}|case:mixed|eff:no|tok:13a|smooth:exp|version:qkv", n_refs);
}

std::string BleuScore::format(int decimals) const {
  const double ratio = ref_len > 0 ? static_cast<double>(sys_len) / static_cast<double>(ref_len) : 0.0;
  return fmt::format(
      "BLEU|{} = {:.{}f} {:.1f}/{:.1f}/{:.1f}/{:.1f} (BP = {:.3f} ratio = {:.3f} hyp_len = {} ref_len = {})",
      signature(), score, decimals, precisions[0], precisions[1], precisions[2], precisions[3], bp, ratio, sys_len,
      ref_len);
}

// ---------------------------------------------------------------------------- chrF

namespace {

// Per order n = 1..char_order: hypothesis n-grams, reference n-grams, matches.
struct ChrfCounts {
  std::vector<int64_t> hyp, ref, matches;
  explicit ChrfCounts(int orders) : hyp(orders), ref(orders), matches(orders) {}
  void add(const ChrfCounts& o) {
    for (size_t n = 0; n < hyp.size(); ++n) {
      hyp[n] += o.hyp[n];
      ref[n] += o.ref[n];
      matches[n] += o.matches[n];
    }
  }
};

std::u32string chrf_characters(const std::string& line, bool keep_whitespace) {
  std::u32string chars = data::decode_utf8(line);
  if (!keep_whitespace) std::erase_if(chars, data::is_unicode_whitespace);
  return chars;
}

Counts<std::u32string> char_ngrams(const std::u32string& chars, size_t n) {
  Counts<std::u32string> counts;
  for (size_t i = 0; i + n <= chars.size(); ++i) ++counts[chars.substr(i, n)];
  return counts;
}

ChrfCounts segment_counts(const std::u32string& hyp, const std::u32string& ref, const ChrfOptions& opt) {
  ChrfCounts c(opt.char_order);
  for (int order = 0; order < opt.char_order; ++order) {
    const size_t n = static_cast<size_t>(order) + 1;
    if (ref.size() < n) continue;  // sacreBLEU then counts no hypothesis n-grams either
    c.ref[order] = static_cast<int64_t>(ref.size() - n + 1);
    c.hyp[order] = hyp.size() >= n ? static_cast<int64_t>(hyp.size() - n + 1) : 0;
    c.matches[order] = clipped_matches(char_ngrams(hyp, n), char_ngrams(ref, n));
  }
  return c;
}

double f_beta(double precision, double recall, double beta_squared) {
  const double denominator = beta_squared * precision + recall;
  return denominator > 0 ? (1 + beta_squared) * precision * recall / denominator : 0.0;
}

// sacreBLEU's CHRF._compute_f_score, in percent.
double chrf_from_counts(const ChrfCounts& c, const ChrfOptions& opt) {
  constexpr double eps = 1e-16;
  const double beta_squared = opt.beta * opt.beta;
  double eps_sum = 0, precision_sum = 0, recall_sum = 0;
  int effective_order = 0;
  for (int n = 0; n < opt.char_order; ++n) {
    const double precision = c.hyp[n] > 0 ? static_cast<double>(c.matches[n]) / static_cast<double>(c.hyp[n]) : eps;
    const double recall = c.ref[n] > 0 ? static_cast<double>(c.matches[n]) / static_cast<double>(c.ref[n]) : eps;
    eps_sum += beta_squared * precision + recall > 0 ? f_beta(precision, recall, beta_squared) : eps;
    if (c.hyp[n] > 0 && c.ref[n] > 0) {
      precision_sum += precision;
      recall_sum += recall;
      ++effective_order;
    }
  }
  if (opt.eps_smoothing) return 100 * eps_sum / opt.char_order;
  if (effective_order == 0) return 0.0;
  return 100 * f_beta(precision_sum / effective_order, recall_sum / effective_order, beta_squared);
}

}  // namespace

ChrfScore corpus_chrf(const std::vector<std::string>& hypotheses,
                      const std::vector<std::vector<std::string>>& reference_sets, const ChrfOptions& options) {
  QKV_CHECK(!reference_sets.empty(), "corpus_chrf: expected at least one set of references, got none");
  for (const auto& references : reference_sets) check_corpus(hypotheses.size(), references, "corpus_chrf");
  QKV_CHECK(options.char_order >= 1, "corpus_chrf: char_order {} (expected >= 1)", options.char_order);
  QKV_CHECK(options.beta > 0, "corpus_chrf: beta {} (expected > 0)", options.beta);
  ChrfCounts sums(options.char_order);
  for (size_t i = 0; i < hypotheses.size(); ++i) {
    const std::u32string hyp = chrf_characters(hypotheses[i], options.whitespace);
    // With several references, the counts of the one with the best segment score (the
    // first on a tie) go into the sums.
    std::optional<ChrfCounts> best;
    double best_score = -1;
    for (const auto& references : reference_sets) {
      ChrfCounts c = segment_counts(hyp, chrf_characters(references[i], options.whitespace), options);
      const double score = chrf_from_counts(c, options);
      if (score > best_score) {
        best_score = score;
        best = std::move(c);
      }
    }
    sums.add(*best);
  }
  ChrfScore s{chrf_from_counts(sums, options), options};
  s.n_refs = static_cast<int64_t>(reference_sets.size());
  return s;
}

ChrfScore corpus_chrf(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      const ChrfOptions& options) {
  return corpus_chrf(hypotheses, std::vector<std::vector<std::string>>{references}, options);
}

std::string ChrfScore::signature() const {
  return fmt::format("nrefs:{}|case:mixed|eff:{}|nc:{}|nw:0|space:{}|version:qkv", n_refs,
                     options.eps_smoothing ? "no" : "yes", options.char_order, options.whitespace ? "yes" : "no");
}

std::string ChrfScore::format(int decimals) const {
  return fmt::format("chrF{:g}|{} = {:.{}f}", options.beta, signature(), score, decimals);
}

}  // namespace qkv
