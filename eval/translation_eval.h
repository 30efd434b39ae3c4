// Evaluating a translation model on a split of sentence pairs: the cross-entropy per
// target token over every pair (teacher forcing, no label smoothing; exp of it is the
// perplexity), and the quality of its own translations against the references: BLEU
// and chrF as sacreBLEU computes them (eval/translation_metrics.h).
#pragma once
#include <string>
#include <vector>

#include "data/parallel_corpus.h"
#include "infer/translate.h"
#include "eval/translation_metrics.h"

namespace qkv {

struct TranslationEval {
  int64_t pairs = 0;          // pairs scored by the loss (those that fit block_size)
  int64_t target_tokens = 0;  // what the loss is averaged over (eos included)
  double loss = 0;
  BleuScore bleu;
  ChrfScore chrf;
  std::vector<std::string> hypotheses;  // one per pair of the split, in order
  int64_t truncated = 0;                // sources cut to block_size - 1 tokens for decoding
};

// Every pair of `pairs` is translated (long sources cut) and scored; the loss leaves out
// pairs longer than the model's block_size, as training does.
TranslationEval evaluate_translation(const nn::Seq2Seq& model, const data::Tokenizer& tokenizer,
                                     const std::vector<data::SentencePair>& pairs, const TranslateOptions& options = {});

}  // namespace qkv
