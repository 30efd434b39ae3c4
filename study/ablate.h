// qkv ablate: the Q/K/V ablation study (docs/design.md section 3, "Ablation semantics").
// A study is a base run config, a list of variants and a number of seeds. Each variant
// is a named set of `--set` overrides; each (variant, seed) is an ordinary training run
// in OUT/<variant>/seed<k>/ with train.seed = base seed + k, so every variant sees the
// same batches (the data generator is seeded by train.seed) and starts from the same
// generator. `--match params|flops` sets model.mlp_hidden per variant so that its
// parameter count (or training FLOPs per token) is within 1% of the base model's.
//
// Order of work: plan_study() resolves, matches and validates every variant before
// anything is written (an impossible variant is refused with the reason); run_study()
// trains the runs seed by seed (all variants of seed 0 first, so an interrupted study
// already compares every variant), skipping finished runs and resuming interrupted
// ones, spread over the ranks under mpirun; write_report() (ablate_report.h) makes the table and the pictures.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "config/config.h"
#include "dist/communicator.h"

namespace qkv {

// A named set of "section.key=value" overrides.
struct Variant {
  std::string name;
  std::vector<std::string> overrides;
  std::string about;  // one line for --list and the docs (built-in variants)

  // The overrides separated by spaces; "" for none.
  std::string text() const;
};

// The study's variants of the one variant table (nn/attention_variants.h, those marked
// in_study): full, no_q, no_k, no_v, no_o, shared_qk, bilinear_qk, rbf, cosine, additive.
const std::vector<Variant>& builtin_variants();

// The [ablate] section of a study config. The run-config parser is strict and knows no
// [ablate], so parse_study_config reads this section first and hands the rest over:
//
//   [ablate]
//   study = ["full", "no_q", "no_k"]   # the variants --variants defaults to
//   seeds = 3                          # the default for --seeds
//   match = "params"                   # the default for --match
//   [ablate.variants]                  # variants of your own: name = [overrides]
//   no_qk = ["attention.q_proj=false", "attention.k_proj=false"]
struct AblateSection {
  std::vector<std::string> study;
  int64_t seeds = 0;  // 0: not given
  std::string match;  // "": not given
  std::vector<Variant> variants;
};

struct StudyConfig {
  RunConfig run;
  AblateSection ablate;
};

StudyConfig parse_study_config(const std::string& toml_text, const std::string& origin);
StudyConfig load_study_config(const std::string& path);

enum class Match { none, params, flops };
Match parse_match(const std::string& text);
const char* name(Match m);

// Shrinks a config so a whole study takes seconds to minutes (`--quick`): 30 steps,
// 1 layer, n_embd 8 per head, block 32, batch 8, 2 evaluation batches.
void apply_quick(RunConfig& cfg);

// The model vocabulary the trainer will build for cfg: the corpus's characters for
// "char" (loads the corpus), data.vocab_size for the SentencePiece tokenizers; a seq2seq
// model adds pad, bos and eos (data/pair_batcher.h).
int64_t study_vocab_size(const RunConfig& cfg, const std::string& data_dir);

struct StudyOptions {
  RunConfig base;                     // --set overrides applied; its train.seed is seed 0
  std::vector<Variant> user_variants;  // from [ablate.variants]
  std::vector<std::string> variants;   // names to run, in order
  int64_t seeds = 3;
  Match match = Match::none;
  std::string out = "out/ablate";
};

struct PlannedVariant {
  Variant variant;
  RunConfig config;  // base + overrides (+ matched mlp_hidden); seed and out are per run
  int64_t parameters = 0;
  double flops_per_token = 0;
  double match_gap = 0;  // (matched quantity - base's) / base's; 0 without matching
};

struct StudyPlan {
  std::vector<PlannedVariant> variants;
  int64_t base_parameters = 0;
  double base_flops_per_token = 0;
  int64_t seeds = 0;
  int64_t base_seed = 0;
  Match match = Match::none;
  std::string out;
  bool translation = false;  // the base is a seq2seq model: runs are scored with BLEU and chrF too
};

// Resolves the variant names (built-in, then the user's), applies each variant's
// overrides to the base, matches its size and validates it: throws qkv::Error naming the
// variant and the reason (unknown name, unknown key, impossible attention combination,
// size that cannot be matched within 1%). Writes nothing. vocab_size: study_vocab_size().
StudyPlan plan_study(const StudyOptions& options, int64_t vocab_size);

// The config of one run: the variant's, with train.seed = base seed + seed_index and
// train.out = run_dir(): OUT/<variant>/seed<seed_index>.
RunConfig run_config(const StudyPlan& plan, size_t variant, int64_t seed_index);
std::string run_dir(const StudyPlan& plan, const std::string& variant, int64_t seed_index);

// One (variant, seed) run after run_study.
struct RunOutcome {
  std::string variant;
  int64_t seed_index = 0;
  int64_t seed = 0;
  double val_loss = 0;  // the validation loss at max_iters
  double tokens_per_s = 0;
  double wall_s = 0;  // summed over the invocations that trained it
  enum class How { trained, resumed, skipped } how = How::trained;
  // Translation: BLEU and chrF of the final model's greedy translations of the whole
  // validation split (eval/translation_eval.h); NaN for language models.
  double bleu = std::numeric_limits<double>::quiet_NaN(), chrf = std::numeric_limits<double>::quiet_NaN();
};

struct StudyResult {
  std::vector<RunOutcome> runs;  // finished runs, in the order of the plan's variants then seeds
  int64_t trained = 0, resumed = 0, skipped = 0;
  bool interrupted = false;  // Ctrl-C: the current run saved a checkpoint; rerun to continue
};

struct RunStudyOptions {
  std::string data_dir;   // "" = the default
  bool progress = true;   // the trainer's progress line and the per-run lines
  // The ranks that share the study (mpirun -np N qkv ablate): the runs not finished yet
  // are dealt out to them in plan order, each trained whole by one rank on its own
  // threads; null: every rank of the job (one without mpirun). Rank 0's StudyResult is
  // the whole study's (it scores skipped translation runs that lack BLEU; the others do not).
  dist::Communicator* comm = nullptr;
};

StudyResult run_study(const StudyPlan& plan, const RunStudyOptions& options = {});

}  // namespace qkv
