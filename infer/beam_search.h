// Beam search for Seq2Seq with the KV cache: the source is encoded once, then each step
// decodes one position for all B sentences x K beams (B*K rows) in one call. Every
// step a sentence's K live beams propose K*V continuations scored by their summed
// log-probabilities; in order of that score, an eos among the first K ends a hypothesis
// (set aside as finished) and the best K others become the next live beams, whose caches
// are gathered from their parents' rows (select_cache_rows).
//
// Length normalisation (GNMT, Wu et al. 2016, as in Marian and OpenNMT): a hypothesis
// of `length` scored tokens (eos included when it ended with one) ranks by
//   log_prob / lp(length),  lp(length) = ((5 + length) / 6)^alpha.
// A sentence stops when it has K finished hypotheses and none of the live ones can still
// beat the K-th: log-probabilities only fall as a hypothesis grows and lp never exceeds
// lp(max_len), so a live log_prob s can reach at most s / lp(max_len). At max_len the
// live hypotheses count as finished (without eos). Any token may be produced, as in
// Seq2Seq::greedy; an eos_id outside the vocabulary never ends a hypothesis.
//
// Runs under NoGradGuard; call model.eval() first to switch dropout off. With beam = 1
// and length_penalty = 0 the result is Seq2Seq::greedy's up to its eos; with a length
// penalty, one beam may go on past an eos while a longer hypothesis can still win.
#pragma once
#include <cstdint>
#include <vector>

#include "nn/seq2seq.h"

namespace qkv::nn {

struct BeamOptions {
  int64_t beam = 4;             // K, hypotheses kept per sentence
  double length_penalty = 0.6;  // alpha >= 0; 0 ranks by the plain summed log-probability
};

struct BeamHypothesis {
  std::vector<int64_t> tokens;  // after bos, without eos
  bool ended = false;           // produced eos (false: cut at max_len)
  double log_prob = 0;          // sum over the scored tokens, eos included when ended
  double score = 0;             // log_prob / lp(scored tokens)
};

// lp(length) = ((5 + length) / 6)^alpha.
double length_penalty(int64_t length, double alpha);

// Row i of every tensor in the cache (self and cross keys/values, the merged block's
// running sum) becomes old row rows[i]; rows: int64 [N] indices along the batch dim,
// repeats allowed. Beam search moves each new beam onto its parent's cache this way.
void select_cache_rows(DecoderCache& cache, const Tensor& rows);

// src [B,S] ids (padded with the model's pad_id) -> per sentence up to K hypotheses, best
// score first. max_len (1..block_size) bounds the scored tokens per hypothesis.
std::vector<std::vector<BeamHypothesis>> beam_search_hypotheses(const Seq2Seq& model, const Tensor& src, int64_t bos_id,
                                                                int64_t eos_id, int64_t max_len,
                                                                const BeamOptions& opt = {});

// The best hypothesis of each sentence: token ids after bos, without eos.
std::vector<std::vector<int64_t>> beam_search(const Seq2Seq& model, const Tensor& src, int64_t bos_id, int64_t eos_id,
                                              int64_t max_len, const BeamOptions& opt = {});

}  // namespace qkv::nn
