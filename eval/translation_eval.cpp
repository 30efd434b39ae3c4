#include "eval/translation_eval.h"

#include "autograd/tape.h"
#include "data/pair_batcher.h"

namespace qkv {

TranslationEval evaluate_translation(const nn::Seq2Seq& model, const data::Tokenizer& tokenizer,
                                     const std::vector<data::SentencePair>& pairs, const TranslateOptions& options) {
  const data::SpecialIds ids = data::special_ids(tokenizer.vocab_size());
  TranslationEval out;
  {
    NoGradGuard no_grad;
    data::PairBatcher batches(data::encode_pairs(pairs, tokenizer), options.batch_size, model.config().block_size, ids,
                              "evaluation");
    double sum = 0;
    for (size_t first = 0; first < batches.size(); first += static_cast<size_t>(options.batch_size)) {
      data::PairBatch b = batches.slice(first, static_cast<size_t>(options.batch_size));
      sum += model.loss(b.src, b.tgt_in, b.tgt_out, 0.0).item() * static_cast<double>(b.target_tokens);
      out.target_tokens += b.target_tokens;
    }
    out.pairs = static_cast<int64_t>(batches.size());
    out.loss = sum / static_cast<double>(out.target_tokens);
  }
  std::vector<std::string> sources, references;
  for (const data::SentencePair& p : pairs) {
    sources.push_back(p.src);
    references.push_back(p.tgt);
  }
  Translations t = translate(model, tokenizer, ids, sources, options);
  out.hypotheses = std::move(t.text);
  out.truncated = t.truncated;
  out.bleu = corpus_bleu(out.hypotheses, references);
  out.chrf = corpus_chrf(out.hypotheses, references);
  return out;
}

}  // namespace qkv
