// Corpus BLEU and chrF as sacreBLEU 2.x computes them with its defaults, so the numbers
// compare with the ones papers and users report (sacreBLEU's metrics/bleu.py and
// metrics/chrf.py). Hypotheses and references are detokenized UTF-8 lines, one
// reference (or one per reference set) for each hypothesis. Errors (qkv::Error):
// different counts, an empty corpus, an empty reference line (sacreBLEU refuses a
// segment without references too; it would also take a set with gaps, these do not).
//
// BLEU: each line loses its trailing whitespace and is tokenized with "13a"
// (eval/tokenize_13a.h), case kept. Clipped n-gram matches (n = 1..4) and lengths are
// summed over the corpus; with several references a hypothesis n-gram may match up to
// its largest count in any one reference, and the reference length is the closest one
// (the shorter on a tie). Precision p_n = matches / total; smoothing "exp" (mteval's):
// the k-th order with no match gets 1 / (2^k * total) instead of 0. No effective order:
// an order with no hypothesis n-grams at all counts as a zero precision, giving ~0.
// Score = 100 * BP * exp(mean log p_n), BP = exp(1 - ref_len / sys_len) when sys_len <
// ref_len, else 1; 0 when no n-gram of any order matches.
//
// chrF: character n-grams (n = 1..6) of each line with all whitespace removed, counted
// on Unicode code points; per order the hypothesis, reference and matched counts are
// summed over the corpus (the hypothesis count is taken as 0 for a segment whose
// reference is too short to have n-grams of that order). Default (sacreBLEU 2.x,
// eps_smoothing off, signature "eff:yes"): precision and recall are averaged over the
// orders where both sides have n-grams, then F_beta = (1 + b^2) P R / (b^2 P + R).
// With eps_smoothing (chrF++.py, NLTK, Moses): an F_beta per order, a missing side's
// precision or recall being 1e-16, averaged over all orders.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace qkv {

struct BleuScore {
  double score = 0;                    // 0..100
  std::array<double, 4> precisions{};  // percent, after smoothing
  std::array<int64_t, 4> matches{};    // clipped n-gram matches per order (sacreBLEU's counts)
  std::array<int64_t, 4> totals{};     // hypothesis n-grams per order
  double bp = 0;                       // brevity penalty
  int64_t sys_len = 0, ref_len = 0;    // in 13a tokens
  int64_t n_refs = 1;

  // sacreBLEU's signature, e.g. "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:qkv".
  std::string signature() const;
  // sacreBLEU's score line, e.g. "BLEU|nrefs:1|...|version:qkv = 48.53 82.4/50.0/45.5/37.5
  // (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)".
  std::string format(int decimals = 2) const;
};

BleuScore corpus_bleu(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references);
// Several references per hypothesis: reference_sets[r][i] is the r-th reference of line i.
BleuScore corpus_bleu(const std::vector<std::string>& hypotheses,
                      const std::vector<std::vector<std::string>>& reference_sets);
// The score from corpus statistics (sacreBLEU's BLEU.compute_bleu with smooth "exp").
BleuScore bleu_from_counts(const std::array<int64_t, 4>& matches, const std::array<int64_t, 4>& totals, int64_t sys_len,
                           int64_t ref_len);

struct ChrfOptions {
  int char_order = 6;
  double beta = 2;
  bool whitespace = false;     // true: keep whitespace inside the character n-grams
  bool eps_smoothing = false;  // see above
};

struct ChrfScore {
  double score = 0;  // 0..100
  ChrfOptions options;
  int64_t n_refs = 1;

  // e.g. "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:qkv".
  std::string signature() const;
  // e.g. "chrF2|nrefs:1|...|version:qkv = 58.33".
  std::string format(int decimals = 2) const;
};

ChrfScore corpus_chrf(const std::vector<std::string>& hypotheses, const std::vector<std::string>& references,
                      const ChrfOptions& options = {});
// Several references: each segment adds the counts of its best-scoring reference.
ChrfScore corpus_chrf(const std::vector<std::string>& hypotheses,
                      const std::vector<std::vector<std::string>>& reference_sets, const ChrfOptions& options = {});

}  // namespace qkv
