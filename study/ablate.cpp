// The study's variants, its [ablate] config section and its plan (matching and
// validation). Running the plan is in ablate_run.cpp, the report in ablate_report.cpp.
#include "study/ablate.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "base/error.h"
#include "data/corpus.h"
#include "data/pair_batcher.h"
#include "data/parallel_corpus.h"
#include "data/tokenizer.h"
#include "config/toml_text.h"
#include "nn/attention_variants.h"
#include "nn/count.h"

namespace qkv {
namespace fs = std::filesystem;

std::string Variant::text() const {
  std::string out;
  for (const std::string& o : overrides) out += (out.empty() ? "" : " ") + o;
  return out;
}

const std::vector<Variant>& builtin_variants() {
  static const std::vector<Variant> table = [] {
    std::vector<Variant> out;
    for (const nn::AttentionVariant& v : nn::attention_variants())
      if (v.in_study) out.push_back({v.name, v.overrides, v.description});
    return out;
  }();
  return table;
}

// ---- the [ablate] section ---------------------------------------------------------

namespace {

std::vector<std::string> string_array(const toml::node& node, const std::string& where) {
  const toml::array* arr = node.as_array();
  QKV_CHECK(arr != nullptr, "config: {} must be an array of strings", where);
  std::vector<std::string> out;
  for (const toml::node& e : *arr) {
    QKV_CHECK(e.is_string(), "config: {} must be an array of strings", where);
    out.push_back(e.as_string()->get());
  }
  return out;
}

bool valid_variant_name(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  return s != "." && s != "..";
}

const Variant* find_builtin(const std::string& name) {
  for (const Variant& v : builtin_variants())
    if (v.name == name) return &v;
  return nullptr;
}

AblateSection read_ablate_section(const toml::table& tbl, const std::string& origin) {
  AblateSection a;
  for (auto&& [key, value] : tbl) {
    const std::string k(key.str()), where = fmt::format("ablate.{} in {}", k, origin);
    if (k == "study") {
      a.study = string_array(value, where);
    } else if (k == "seeds") {
      QKV_CHECK(value.is_integer() && value.as_integer()->get() > 0, "config: {} must be a positive integer", where);
      a.seeds = value.as_integer()->get();
    } else if (k == "match") {
      QKV_CHECK(value.is_string(), "config: {} must be a string (none, params, flops)", where);
      a.match = value.as_string()->get();
      parse_match(a.match);
    } else if (k == "variants") {
      const toml::table* defs = value.as_table();
      QKV_CHECK(defs != nullptr, "config: {} must be a table [ablate.variants] of name = [\"section.key=value\", ...]", where);
      for (auto&& [vname, overrides] : *defs) {
        Variant v{std::string(vname.str()), string_array(overrides, fmt::format("ablate.variants.{} in {}", vname.str(), origin)), ""};
        QKV_CHECK(valid_variant_name(v.name), "config: ablate.variants.{} in {}: a variant name is a folder name (letters, digits, _ - .)", v.name, origin);
        QKV_CHECK(find_builtin(v.name) == nullptr, "config: ablate.variants.{} in {}: {} is a built-in variant; choose another name",
              v.name, origin, v.name);
        a.variants.push_back(std::move(v));
      }
    } else {
      fail("config: {}: unknown key ablate.{} (expected study, seeds, match, variants)", origin, k);
    }
  }
  return a;
}

}  // namespace

StudyConfig parse_study_config(const std::string& text, const std::string& origin) {
  toml::table root = parse_toml(text, origin);
  StudyConfig out;
  if (const toml::node* node = root.get("ablate")) {
    const toml::table* tbl = node->as_table();
    QKV_CHECK(tbl != nullptr, "config: {}: 'ablate' must be a section [ablate]", origin);
    out.ablate = read_ablate_section(*tbl, origin);
    root.erase("ablate");
  }
  // The rest is a plain run config, read by the strict parser.
  std::ostringstream rest;
  rest << root;
  out.run = parse_config(rest.str(), origin);
  return out;
}

StudyConfig load_study_config(const std::string& path) {
  return parse_study_config(read_config_text(path), path);
}

Match parse_match(const std::string& text) {
  if (text == "none") return Match::none;
  if (text == "params") return Match::params;
  if (text == "flops") return Match::flops;
  fail("ablate: --match must be one of none, params, flops, got \"{}\"", text);
}

const char* name(Match m) {
  switch (m) {
    case Match::none: return "none";
    case Match::params: return "params";
    case Match::flops: return "flops";
  }
  return "?";
}

void apply_quick(RunConfig& cfg) {
  cfg.model.n_layer = 1;
  cfg.model.n_embd = 8 * cfg.model.n_head;
  cfg.model.block_size = 32;
  cfg.model.mlp_hidden = 0;
  cfg.train.max_iters = 30;
  cfg.train.batch_size = 8;
  cfg.train.grad_accum = 1;
  cfg.train.eval_interval = 10;
  cfg.train.eval_iters = 2;
  cfg.train.log_interval = 5;
  cfg.train.checkpoint_interval = 10;
  cfg.train.keep_checkpoints = 3;
  cfg.optim.warmup_iters = 5;
  cfg.optim.lr_decay_iters = 30;
}

int64_t study_vocab_size(const RunConfig& cfg, const std::string& data_dir) {
  const bool pairs = cfg.model.kind == nn::ModelKind::seq2seq;
  int64_t tokenizer_vocab = cfg.data.vocab_size > 0 ? cfg.data.vocab_size : data::kDefaultSubwordVocab;
  if (cfg.data.tokenizer == data::TokenizerKind::char_) {
    const std::string dir = data_dir.empty() ? data::default_data_dir() : data_dir;
    data::Corpus corpus = pairs ? data::as_text(data::load_parallel_corpus(cfg.data.corpus, dir))
                                : data::load_corpus(cfg.data.corpus, dir);
    tokenizer_vocab = data::build_tokenizer(data::TokenizerKind::char_, corpus)->vocab_size();
  }
  return pairs ? data::special_ids(tokenizer_vocab).vocab_size : tokenizer_vocab;
}

// ---- the plan -------------------------------------------------------------------

namespace {

double size_of(Match m, const nn::ModelConfig& c) {
  return m == Match::flops ? nn::training_flops_per_token(c) : static_cast<double>(nn::count_parameters(c));
}

// The mlp_hidden whose size is closest to target. Size grows with the hidden width, so
// a bisection finds the first width at or above the target; the answer is it or the
// width just below.
int64_t matched_hidden(nn::ModelConfig m, Match match, double target) {
  int64_t hi = std::max<int64_t>(m.hidden(), 1);
  auto size_at = [&](int64_t h) {
    m.mlp_hidden = h;
    return size_of(match, m);
  };
  while (size_at(hi) < target) {
    QKV_CHECK(hi < (int64_t{1} << 40), "ablate: no mlp_hidden reaches the base's size {}", target);
    hi *= 2;
  }
  if (size_at(1) >= target) return 1;
  int64_t lo = 1;  // size_at(lo) < target <= size_at(hi)
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    (size_at(mid) >= target ? hi : lo) = mid;
  }
  return size_at(hi) - target <= target - size_at(lo) ? hi : lo;
}

PlannedVariant plan_variant(const Variant& v, const RunConfig& base, Match match, double target) {
  PlannedVariant p{v, base, 0, 0};
  const std::string what = v.overrides.empty() ? std::string("no overrides") : v.text();
  try {
    for (const std::string& o : v.overrides) apply_override(p.config, o);
    validate(p.config);
    nn::count_parameters(p.config.model);  // builds the attention options: the same errors as the model
  } catch (const Error& e) {
    fail("ablate: variant {} ({}) is impossible for this config: {}", v.name, what, e.what());
  }
  if (match != Match::none) {
    // A model the variant leaves as it is keeps its mlp_hidden as written (0 stays 0).
    const int64_t hidden = matched_hidden(p.config.model, match, target);
    if (hidden != p.config.model.hidden()) p.config.model.mlp_hidden = hidden;
    const double got = size_of(match, p.config.model), gap = (got - target) / target;
    QKV_CHECK(std::abs(gap) <= 0.01,
          "ablate: variant {} ({}) cannot be matched to the base's {} within 1%: the closest, mlp_hidden = {}, gives "
          "{:.0f} against {:.0f} ({:+.2f}%)",
          v.name, what, name(match), p.config.model.mlp_hidden, got, target, 100 * gap);
  }
  p.parameters = nn::count_parameters(p.config.model);
  p.flops_per_token = nn::training_flops_per_token(p.config.model);
  return p;
}

}  // namespace

StudyPlan plan_study(const StudyOptions& options, int64_t vocab_size) {
  QKV_CHECK(!options.variants.empty(), "ablate: no variants to run");
  QKV_CHECK(options.seeds > 0, "ablate: --seeds must be positive, got {}", options.seeds);
  RunConfig base = options.base;
  base.model.vocab_size = vocab_size;
  validate(base);

  StudyPlan plan;
  plan.seeds = options.seeds;
  plan.base_seed = base.train.seed;
  plan.match = options.match;
  plan.out = options.out;
  plan.translation = base.model.kind == nn::ModelKind::seq2seq;
  try {
    plan.base_parameters = nn::count_parameters(base.model);
    plan.base_flops_per_token = nn::training_flops_per_token(base.model);
  } catch (const Error& e) {
    fail("ablate: the base config cannot be built: {}", e.what());
  }
  const double target = options.match == Match::flops ? plan.base_flops_per_token
                                                       : static_cast<double>(plan.base_parameters);
  std::set<std::string> seen;
  for (const std::string& n : options.variants) {
    QKV_CHECK(seen.insert(n).second, "ablate: variant {} is listed twice", n);
    const Variant* v = find_builtin(n);
    for (const Variant& u : options.user_variants)
      if (u.name == n) v = &u;
    if (!v) {
      std::string known;
      for (const Variant& b : builtin_variants()) known += (known.empty() ? "" : ", ") + b.name;
      for (const Variant& u : options.user_variants) known += ", " + u.name;
      fail("ablate: unknown variant '{}' (known: {})", n, known);
    }
    plan.variants.push_back(plan_variant(*v, base, options.match, target));
  }
  return plan;
}

RunConfig run_config(const StudyPlan& plan, size_t variant, int64_t seed_index) {
  const PlannedVariant& v = plan.variants.at(variant);
  RunConfig cfg = v.config;
  cfg.train.seed = plan.base_seed + seed_index;
  cfg.train.out = run_dir(plan, v.variant.name, seed_index);
  return cfg;
}

std::string run_dir(const StudyPlan& plan, const std::string& variant, int64_t seed_index) {
  return (fs::path(plan.out) / variant / fmt::format("seed{}", seed_index)).string();
}

}  // namespace qkv
