// qkv ablate: variants and the [ablate] section, sizes against hand counts, size
// matching, refusal of impossible variants, the report's statistics, heatmaps, and a
// quick study end to end with its resume.
#include <catch2/catch.hpp>

#include "tiny_corpus.h"

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <limits>
#include <set>
#include <sstream>
#include <tuple>

#include "nn/gpt.h"
#include "nn/seq2seq.h"
#include "nn/attention_variants.h"
#include "study/ablate.h"
#include "study/ablate_report.h"
#include "study/forest_plot.h"
#include "io/plot.h"
#include "study/heatmap.h"
#include "io/checkpoint_files.h"
#include "train/trainer.h"

using namespace qkv;
using Catch::Contains;
namespace fs = std::filesystem;
using qkv::testing::temp_dir;
using qkv::testing::write_corpus;

namespace {

// d = 16, H = 2 (dh = 8), one layer, block 8, biases, tied embeddings, learned positions.
RunConfig small_config() {
  RunConfig c;
  c.model.n_layer = 1;
  c.model.n_head = 2;
  c.model.n_embd = 16;
  c.model.block_size = 8;
  return c;
}

StudyOptions all_builtins(const RunConfig& base, Match match) {
  StudyOptions o;
  o.base = base;
  o.match = match;
  const bool seq2seq = base.model.kind == nn::ModelKind::seq2seq;
  for (const Variant& v : builtin_variants())
    if (seq2seq || !nn::sets_attention_role(v.overrides)) o.variants.push_back(v.name);
  return o;
}

std::vector<std::vector<std::string>> read_csv(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, ',');) f.push_back(field);
    rows.push_back(f);
  }
  return rows;
}

}  // namespace

TEST_CASE("built-in variants are the documented overrides and apply to a config", "[ablate]") {
  std::map<std::string, std::vector<std::string>> want = {
      {"full", {}},
      {"no_q", {"attention.q_proj=false"}},
      {"no_k", {"attention.k_proj=false"}},
      {"no_v", {"attention.v_proj=false"}},
      {"no_o", {"attention.o_proj=false"}},
      {"shared_qk", {"attention.qk=shared"}},
      {"bilinear_qk", {"attention.qk=bilinear"}},
      {"rbf", {"attention.score=rbf"}},
      {"cosine", {"attention.score=cosine"}},
      {"additive", {"attention.score=additive"}},
      {"sigmoid", {"attention.normalize=sigmoid"}},
      {"normalize_queries", {"attention.encoder.normalize=queries"}}};
  REQUIRE(builtin_variants().size() == want.size());
  for (const Variant& v : builtin_variants()) {
    CHECK(want.at(v.name) == v.overrides);
    RunConfig c;
    if (nn::sets_attention_role(v.overrides)) c.model.kind = nn::ModelKind::seq2seq;
    for (const std::string& o : v.overrides) CHECK_NOTHROW(apply_override(c, o));
    CHECK_NOTHROW(validate(c));
  }
}

TEST_CASE("the [ablate] section is read and stripped before the strict run config", "[ablate]") {
  const std::string text = R"(
[model]
n_layer = 2
[ablate]
study = ["full", "no_qk"]
seeds = 4
match = "flops"
[ablate.variants]
no_qk = ["attention.q_proj=false", "attention.k_proj=false"]
)";
  StudyConfig sc = parse_study_config(text, "study.toml");
  CHECK(sc.run.model.n_layer == 2);
  CHECK(sc.ablate.study == std::vector<std::string>{"full", "no_qk"});
  CHECK(sc.ablate.seeds == 4);
  CHECK(sc.ablate.match == "flops");
  REQUIRE(sc.ablate.variants.size() == 1);
  CHECK(sc.ablate.variants[0].name == "no_qk");
  CHECK(sc.ablate.variants[0].overrides == std::vector<std::string>{"attention.q_proj=false", "attention.k_proj=false"});

  // A config without [ablate] is a plain run config; the rest stays strict.
  CHECK(parse_study_config("[model]\nn_head = 8\n", "x.toml").run.model.n_head == 8);
  REQUIRE_THROWS_WITH(parse_study_config("[model]\nn_heads = 8\n", "x.toml"), Contains("unknown key model.n_heads"));
  REQUIRE_THROWS_WITH(parse_study_config("[ablate]\nvariant = [\"full\"]\n", "x.toml"),
                      Contains("unknown key ablate.variant"));
  REQUIRE_THROWS_WITH(parse_study_config("[ablate.variants]\nno_q = [\"attention.v_proj=false\"]\n", "x.toml"),
                      Contains("no_q is a built-in variant"));
  REQUIRE_THROWS_WITH(parse_study_config("[ablate.variants]\nmine = \"attention.v_proj=false\"\n", "x.toml"),
                      Contains("ablate.variants.mine in x.toml must be an array of strings"));
  REQUIRE_THROWS_WITH(parse_study_config("[ablate]\nmatch = \"size\"\n", "x.toml"), Contains("none, params, flops"));
  REQUIRE_THROWS_WITH(parse_study_config("[ablate]\nseeds = [\n", "x.toml"), Contains("x.toml:"));
}

TEST_CASE("user variants run like built-in ones, unknown names and keys are refused", "[ablate]") {
  StudyOptions o;
  o.base = small_config();
  o.user_variants = {{"no_qk", {"attention.q_proj=false", "attention.k_proj=false"}, ""}};
  o.variants = {"full", "no_qk"};
  StudyPlan plan = plan_study(o, 10);
  REQUIRE(plan.variants.size() == 2);
  CHECK_FALSE(plan.variants[1].config.model.attention.q_proj);
  CHECK_FALSE(plan.variants[1].config.model.attention.k_proj);
  CHECK(plan.variants[1].parameters == 3600 - 2 * 272);

  o.variants = {"full", "no_w"};
  REQUIRE_THROWS_WITH(plan_study(o, 10), Contains("unknown variant 'no_w'") && Contains("no_qk"));
  o.variants = {"full", "full"};
  REQUIRE_THROWS_WITH(plan_study(o, 10), Contains("variant full is listed twice"));
  o.user_variants = {{"typo", {"attention.q_projection=false"}, ""}};
  o.variants = {"typo"};
  REQUIRE_THROWS_WITH(plan_study(o, 10), Contains("variant typo") && Contains("unknown key attention.q_projection"));
}

TEST_CASE("parameter and FLOP counts of every variant match hand counts", "[ablate]") {
  // V = 10, T = 8, d = 16, H = 2, dh = 8, MLP 64, biases, tied head.
  // Parameters: wte 160 + wpe 128 + ln_f 32 + ln_1, ln_2 64 + MLP (16*64+64) + (64*16+16) = 2128
  //   + attention 4 x (16*16+16) = 1088: 3600. A removed projection: -272. Bilinear drops
  //   q and k (-544) for H d^2 = 512; cosine adds tau (H = 2), additive score_v (H dh = 16).
  // FLOPs: 6 W + 3 L T P. W = head 160 + attention 1024 + MLP 2048 = 3232; P = H (score +
  //   2 dh) = 2 (16 + 16) = 64 for dot/rbf/cosine: 6*3232 + 3*8*64 = 20928. Without a
  //   projection W = 2976: 19392. Shared qk multiplies keys by Wq too: W unchanged.
  //   Bilinear: W = 160 + 512 + 512 + 2048 = 3232, score 2d = 32, P = 2 (32 + 16) = 96:
  //   19392 + 2304 = 21696. Additive: score 4 dh = 32, P = 96: 21696.
  const std::map<std::string, std::pair<int64_t, double>> want = {
      {"full", {3600, 20928}},   {"no_q", {3328, 19392}},       {"no_k", {3328, 19392}},
      {"no_v", {3328, 19392}},   {"no_o", {3328, 19392}},       {"shared_qk", {3328, 20928}},
      {"bilinear_qk", {3568, 21696}}, {"rbf", {3600, 20928}}, {"cosine", {3602, 20928}},
      {"additive", {3616, 21696}}, {"sigmoid", {3600, 20928}}};  // normalization is not counted, as softmax
  StudyPlan plan = plan_study(all_builtins(small_config(), Match::none), 10);
  CHECK(plan.base_parameters == 3600);
  CHECK(plan.base_flops_per_token == 20928.0);
  REQUIRE(plan.variants.size() == want.size());
  for (const PlannedVariant& p : plan.variants) {
    INFO("variant " << p.variant.name);
    CHECK(p.parameters == want.at(p.variant.name).first);
    CHECK(p.flops_per_token == want.at(p.variant.name).second);
    CHECK(p.config.model.mlp_hidden == 0);  // --match none leaves the MLP alone
  }
}

TEST_CASE("size matching by params and by flops lands within 1% for every variant", "[ablate]") {
  RunConfig base = small_config();
  base.model.n_layer = 2;
  base.model.n_head = 4;
  base.model.n_embd = 32;
  base.model.block_size = 16;
  for (Match m : {Match::params, Match::flops}) {
    StudyPlan plan = plan_study(all_builtins(base, m), 20);
    for (const PlannedVariant& p : plan.variants) {
      INFO(name(m) << " variant " << p.variant.name << " mlp_hidden " << p.config.model.hidden());
      const double got = m == Match::params ? static_cast<double>(p.parameters) : p.flops_per_token;
      const double want = m == Match::params ? static_cast<double>(plan.base_parameters) : plan.base_flops_per_token;
      CHECK(std::abs(got - want) / want <= 0.01);
    }
    // A variant that changes no weight keeps the base MLP; removing Wq (1056 parameters
    // a layer) widens the MLP by about 1056 / (2 d + 1) = 16 units.
    CHECK(plan.variants[0].config.model.mlp_hidden == 0);
    CHECK(plan.variants[1].variant.name == "no_q");
    CHECK(plan.variants[1].config.model.hidden() == 128 + 16);
  }
}

TEST_CASE("a variant that cannot be matched or built is refused with the reason before anything is written",
          "[ablate]") {
  const fs::path dir = temp_dir("ablate_refuse");
  RunConfig base = small_config();
  StudyOptions o = all_builtins(base, Match::none);
  o.out = (dir / "study").string();

  base.model.positions = nn::Positions::rope;
  o.base = base;
  REQUIRE_THROWS_WITH(plan_study(o, 10), Contains("variant bilinear_qk (attention.qk=bilinear) is impossible") &&
                                             Contains("rope"));
  base = small_config();
  base.model.attention.kv_heads = 1;  // grouped-query: no identity key/value heads
  o.base = base;
  o.variants = {"full", "no_v"};
  REQUIRE_THROWS_WITH(plan_study(o, 10), Contains("variant no_v") && Contains("v_proj = false needs kv_heads == n_head"));

  // Bilinear with 8 heads adds H d^2 - 2 (d^2 + d) = 1504 parameters; an 8-wide MLP
  // (264 parameters) cannot give that back.
  base = small_config();
  base.model.n_head = 8;
  base.model.mlp_hidden = 8;
  o.base = base;
  o.match = Match::params;
  o.variants = {"full", "bilinear_qk"};
  REQUIRE_THROWS_WITH(plan_study(o, 10), Contains("variant bilinear_qk") && Contains("cannot be matched") &&
                                             Contains("within 1%"));
  CHECK_FALSE(fs::exists(dir / "study"));
  fs::remove_all(dir);
}

TEST_CASE("runs of one seed share train.seed and differ only in the variant's keys", "[ablate]") {
  StudyOptions o = all_builtins(small_config(), Match::none);
  o.out = "study";
  o.seeds = 3;
  StudyPlan plan = plan_study(o, 10);
  RunConfig full1 = run_config(plan, 0, 1), no_q1 = run_config(plan, 1, 1);
  CHECK(full1.train.seed == small_config().train.seed + 1);
  CHECK(no_q1.train.seed == full1.train.seed);
  CHECK(fs::path(no_q1.train.out) == fs::path("study") / "no_q" / "seed1");
  no_q1.model.attention.q_proj = true;
  no_q1.train.out = full1.train.out;
  CHECK(to_toml(no_q1) == to_toml(full1));
}

TEST_CASE("the same seed gives the embeddings the same initial values in every variant", "[ablate]") {
  StudyPlan plan = plan_study(all_builtins(small_config(), Match::none), 10);
  nn::GPT full(plan.variants[0].config.model, 7);
  auto full_params = full.state_dict();
  for (const PlannedVariant& p : plan.variants) {
    nn::GPT g(p.config.model, 7);
    auto params = g.state_dict();
    for (const char* n : {"wte.weight", "wpe.weight"}) {
      INFO(p.variant.name << " " << n);
      CHECK(params.at(n).to_vector<float>() == full_params.at(n).to_vector<float>());
    }
  }
}

// Attention and MLP layers fork one generator per parameter slot, whether or not the
// variant has that slot, so removing a projection does not shift later draws.
// Shared: the same name and shape (a size-matched MLP has other shapes: not shared).
TEST_CASE("the same seed gives every shared parameter the same initial values", "[ablate]") {
  const bool seq2seq = GENERATE(false, true);  // a GPT, and an encoder-decoder (--task translation)
  RunConfig base = small_config();
  base.model.n_layer = 2;
  if (seq2seq) base.model.kind = nn::ModelKind::seq2seq;
  auto initial = [&](const nn::ModelConfig& m) {
    return seq2seq ? nn::Seq2Seq(m, 7).state_dict() : nn::GPT(m, 7).state_dict();
  };
  for (Match m : {Match::none, Match::params}) {
    StudyPlan plan = plan_study(all_builtins(base, m), 10);
    auto full_params = initial(plan.variants[0].config.model);
    for (const PlannedVariant& p : plan.variants) {
      std::vector<std::string> differ;
      for (const auto& [n, t] : initial(p.config.model)) {
        auto f = full_params.find(n);
        if (f != full_params.end() && f->second.shape() == t.shape() && t.to_vector<float>() != f->second.to_vector<float>())
          differ.push_back(n);
      }
      INFO((seq2seq ? "seq2seq" : "gpt") << ", --match " << name(m) << ", " << p.variant.name
                                          << ": shared parameters that start differently from full's");
      CHECK(differ == std::vector<std::string>{});
    }
  }
}

TEST_CASE("summaries: mean, std, paired difference from full with a t interval", "[ablate]") {
  CHECK(t_quantile_975(1) == Approx(12.7062));
  CHECK(t_quantile_975(2) == Approx(4.3027));
  CHECK(t_quantile_975(30) == Approx(2.0423).margin(1e-4));
  CHECK(t_quantile_975(31) == Approx(2.0395).margin(1e-4));
  CHECK(t_quantile_975(120) == Approx(1.9799).margin(1e-4));

  StudyOptions o;
  o.base = small_config();
  o.variants = {"full", "no_q"};
  o.seeds = 3;
  StudyPlan plan = plan_study(o, 10);
  StudyResult r;
  const double full[] = {2.0, 2.2, 2.1}, no_q[] = {2.1, 2.4, 2.2};
  for (int64_t k = 0; k < 3; ++k) {
    r.runs.push_back({"full", k, 1337 + k, full[k], 1000, 10});
    r.runs.push_back({"no_q", k, 1337 + k, no_q[k], 3000, 20});
  }
  std::vector<VariantSummary> s = summarize(plan, r);
  REQUIRE(s.size() == 2);
  CHECK(s[0].diff == Approx(0.0).margin(1e-12));
  // no_q: mean 2.2333, sample std 0.152753; differences 0.1, 0.2, 0.1: mean 0.13333,
  // sd 0.057735, half width 4.3027 * 0.057735 / sqrt(3) = 0.143423.
  CHECK(s[1].runs == 3);
  CHECK(s[1].loss_mean == Approx(2.233333));
  CHECK(s[1].loss_std == Approx(0.152753).epsilon(1e-5));
  CHECK(s[1].pairs == 3);
  CHECK(s[1].diff == Approx(0.133333));
  CHECK(s[1].diff_low == Approx(0.133333 - 0.143423).epsilon(1e-4));
  CHECK(s[1].diff_high == Approx(0.133333 + 0.143423).epsilon(1e-4));
  CHECK(s[1].perplexity == Approx(std::exp(2.233333)));
  CHECK(s[1].tokens_per_s == 3000);
  CHECK(s[1].wall_s == 20);
  CHECK(std::isnan(s[1].bleu_mean));  // a language-model study has no BLEU
  CHECK(results_table(s).find("BLEU") == std::string::npos);

  // A translation study: BLEU and chrF averaged over seeds, and their columns in the table.
  const double bleu[] = {10, 12, 14};
  for (int64_t k = 0; k < 3; ++k) {
    r.runs[2 * k + 1].bleu = bleu[k];
    r.runs[2 * k + 1].chrf = 2 * bleu[k];
  }
  s = summarize(plan, r);
  CHECK(s[1].bleu_mean == Approx(12));
  CHECK(s[1].bleu_std == Approx(2));
  CHECK(s[1].chrf_mean == Approx(24));
  CHECK(results_table(s).find("| BLEU (mean ± std) | chrF |") != std::string::npos);
  CHECK(results_table(s).find("| 12.00 ± 2.00 | 24.00 |") != std::string::npos);
  CHECK(s[1].parameters == 3328);
  CHECK(s[1].param_gap == Approx(-272.0 / 3600.0));
  const std::string table = results_table(s);
  CHECK_THAT(table, Contains("| no_q |") && Contains("+0.1333 [-0.0101, +0.2768]") && Contains("2.2333 ± 0.1528"));

  // One seed: a difference without an interval.
  r.runs.resize(2);
  s = summarize(plan, r);
  CHECK(s[1].pairs == 1);
  CHECK(std::isnan(s[1].diff_low));
  CHECK(std::isnan(s[1].loss_std));
  CHECK_THAT(results_table(s), Contains("+0.1000 (1 seed, no interval)") && Contains("± n/a"));
}

TEST_CASE("the forest plot: paired deltas of loss and BLEU, sorted, quoted, drawn only with gnuplot",
          "[ablate][forest]") {
  StudyOptions o;
  o.base = small_config();
  o.variants = {"full", "no_q", "no_k"};
  o.seeds = 3;
  StudyPlan plan = plan_study(o, 10);
  StudyResult r;
  // no_q: loss +0.1, +0.2, +0.1 and BLEU -1, -3, -2 against full; no_k: loss -0.1 each seed.
  const double full[] = {2.0, 2.2, 2.1}, no_q[] = {2.1, 2.4, 2.2}, no_k[] = {1.9, 2.1, 2.0};
  const double full_bleu[] = {10, 12, 14}, no_q_bleu[] = {9, 9, 12};
  for (int64_t k = 0; k < 3; ++k)
    for (const auto& [name, loss, bleu] : {std::tuple{"full", full[k], full_bleu[k]}, std::tuple{"no_q", no_q[k], no_q_bleu[k]},
                                          std::tuple{"no_k", no_k[k], full_bleu[k]}}) {
      RunOutcome run{name, k, 1337 + k, loss, 1000, 10};
      run.bleu = bleu;
      run.chrf = 2 * bleu;
      r.runs.push_back(run);
    }
  std::vector<VariantSummary> s = summarize(plan, r);
  // Δ BLEU is paired like the loss: -1, -3, -2: mean -2, sd 1, half width 4.3027 / sqrt(3).
  CHECK(s[1].bleu_diff == Approx(-2));
  CHECK(s[1].bleu_diff_low == Approx(-2 - 4.3027 / std::sqrt(3.0)).epsilon(1e-4));
  CHECK(s[1].bleu_diff_high == Approx(-2 + 4.3027 / std::sqrt(3.0)).epsilon(1e-4));
  CHECK(s[0].bleu_diff == Approx(0).margin(1e-12));

  // The script: full is the reference and has no row; best first (no_k has the lower loss,
  // the higher BLEU); a name with a quote is quoted for gnuplot; a BLEU panel.
  s[2].name = "no_k's";
  std::string script = forest_plot_script(s, "/tmp/it's/results.png", "a study");
  CHECK_THAT(script, Contains("set output '/tmp/it''s/results.png'") && Contains("'no_k''s' 0, 'no_q' 1") &&
                         Contains("Δ BLEU") && Contains("layout 1,2"));
  CHECK(script.find("'full'") == std::string::npos);

  // One seed: the dot without a bar, and the picture says so; no BLEU panel for an LM study.
  r.runs.resize(3);
  for (RunOutcome& run : r.runs) run.bleu = run.chrf = std::numeric_limits<double>::quiet_NaN();
  s = summarize(plan, r);
  script = forest_plot_script(s, "results.png", "a study");
  CHECK_THAT(script, Contains("one seed, no interval") && Contains("$DOT0") && Contains("layout 1,1"));
  CHECK(script.find("$BAR0") == std::string::npos);

  const fs::path dir = temp_dir("ablate_forest");
  if (gnuplot_available()) {
    CHECK(write_forest_plot(s, (dir / "results.png").string(), "a study"));
    CHECK(fs::file_size(dir / "results.png") > 1000);
  }
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (dir / "empty").c_str(), 1);
  CHECK_FALSE(write_forest_plot(s, (dir / "none.png").string(), "a study"));
  ::setenv("PATH", path.c_str(), 1);
  CHECK_FALSE(fs::exists(dir / "none.png"));
  fs::remove_all(dir);
}

TEST_CASE("heatmaps: PNG with gnuplot, a CSV matrix with token labels without it", "[ablate][heatmap]") {
  const fs::path dir = temp_dir("ablate_heatmap");
  Tensor w = Tensor::from({1.0, 0.0, 0.25, 0.75}, {2, 2}, DType::f32);
  const std::vector<std::string> tokens = {token_label("a b"), token_label("\n")};
  CHECK(tokens[0] == "a·b");
  CHECK(tokens[1] == "↵");
  if (gnuplot_available()) {
    std::string png = write_heatmap(w, tokens, tokens, (dir / "map").string(), "a map");
    CHECK(png == (dir / "map.png").string());
    CHECK(fs::file_size(png) > 1000);
  }
  // Without gnuplot on the PATH: the matrix as CSV.
  const std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (dir / "empty").c_str(), 1);
  std::string csv = write_heatmap(w, tokens, tokens, (dir / "plain").string(), "a map");
  ::setenv("PATH", path.c_str(), 1);
  CHECK(csv == (dir / "plain.csv").string());
  auto rows = read_csv(csv);
  REQUIRE(rows.size() == 3);
  CHECK(rows[0] == std::vector<std::string>{"query\\key", "a·b", "↵"});
  CHECK(rows[2] == std::vector<std::string>{"↵", "0.25", "0.75"});
  REQUIRE_THROWS_WITH(write_heatmap(w, {"a"}, tokens, (dir / "bad").string(), ""),
                      Contains("1 query and 2 key labels for weights float32[2,2]"));
  fs::remove_all(dir);
}

TEST_CASE("a quick study runs end to end, and its resume reruns only the unfinished run", "[ablate]") {
  const fs::path dir = temp_dir("ablate_study");
  StudyOptions o;
  o.base.data.corpus = write_corpus(dir);
  apply_quick(o.base);
  o.base.model.n_head = 2;
  o.base.model.n_embd = 16;
  o.variants = {"full", "no_q", "shared_qk", "additive"};
  o.seeds = 2;
  o.match = Match::params;
  o.out = (dir / "study").string();
  StudyPlan plan = plan_study(o, study_vocab_size(o.base, ""));
  const int64_t steps = plan.variants[0].config.train.max_iters;

  StudyResult first = run_study(plan, {"", false});
  CHECK(first.trained == 8);
  CHECK(first.skipped == 0);
  ReportFiles files = write_report(plan, first);
  auto rows = read_csv(files.csv);
  REQUIRE(rows.size() == 5);  // header + one row per variant
  CHECK(rows[0][0] == "variant");
  for (size_t i = 0; i < o.variants.size(); ++i) {
    INFO(o.variants[i]);
    CHECK(rows[i + 1][0] == o.variants[i]);
    CHECK(rows[i + 1][7] == "2");                      // seeds
    CHECK(std::isfinite(std::stod(rows[i + 1][8])));  // val_loss_mean
    CHECK(std::isfinite(std::stod(rows[i + 1][13])));  // perplexity
    CHECK(fs::exists(dir / "study" / o.variants[i] / "metrics-mean.csv"));
    CHECK(fs::exists(dir / "study" / o.variants[i] / "attn" / (gnuplot_available() ? "layer0-head1.png" : "layer0-head1.csv")));
  }
  CHECK(read_csv(files.runs_csv).size() == 9);
  CHECK(files.attention.size() == 8);  // 4 variants x 2 heads
  CHECK(files.curves.empty() != gnuplot_available());
  CHECK(files.forest.empty() != gnuplot_available());
  std::ifstream md(files.md);
  std::string text((std::istreambuf_iterator<char>(md)), std::istreambuf_iterator<char>());
  CHECK_THAT(text, Contains("| shared_qk |") && Contains("Δ vs full") && Contains("--match params"));
  // The forest plot comes first, above the table and the loss curves.
  if (gnuplot_available()) CHECK(text.find("(results.png)") < text.find("| variant |"));
  // runs.csv reads back as the runs it lists.
  StudyResult back = read_runs_csv(files.runs_csv);
  REQUIRE(back.runs.size() == first.runs.size());
  CHECK(back.runs[3].variant == first.runs[3].variant);
  CHECK(back.runs[3].val_loss == Approx(first.runs[3].val_loss).epsilon(1e-5));

  // Interrupt no_q's seed 1 after its step-20 checkpoint: drop the final checkpoint.
  const fs::path cut = dir / "study" / "no_q" / "seed1";
  fs::remove(checkpoint_path(cut.string(), steps));
  REQUIRE(!newest_checkpoint(cut.string()).empty());
  std::map<std::string, fs::file_time_type> before;
  for (size_t v = 0; v < plan.variants.size(); ++v)
    for (int64_t k = 0; k < 2; ++k) {
      std::string ckpt = checkpoint_path(run_config(plan, v, k).train.out, steps);
      if (fs::exists(ckpt)) before[ckpt] = fs::last_write_time(ckpt);
    }
  REQUIRE(before.size() == 7);

  StudyResult second = run_study(plan, {"", false});
  CHECK(second.trained == 0);
  CHECK(second.resumed == 1);
  CHECK(second.skipped == 7);
  for (const auto& [ckpt, t] : before) CHECK(fs::last_write_time(ckpt) == t);
  REQUIRE(second.runs.size() == 8);
  for (size_t i = 0; i < 8; ++i) {
    INFO(second.runs[i].variant << " seed " << second.runs[i].seed_index);
    CHECK(second.runs[i].val_loss == Approx(first.runs[i].val_loss).margin(1e-6));  // resume is exact
  }

  // The same folder with another config is refused before anything trains.
  StudyOptions other = o;
  other.base.optim.lr = 2e-3;
  StudyPlan other_plan = plan_study(other, study_vocab_size(other.base, ""));
  REQUIRE_THROWS_WITH(run_study(other_plan, {"", false}), Contains("holds a run of another config"));
  fs::remove_all(dir);
}

TEST_CASE("a translation study's vocabulary is the tokenizer's plus pad, bos and eos", "[ablate]") {
  fs::path dir = temp_dir("ablate_vocab");
  RunConfig c = small_config();
  c.model.kind = nn::ModelKind::seq2seq;
  c.data.corpus = qkv::testing::write_pairs(dir);
  c.data.tokenizer = data::TokenizerKind::bpe;
  c.data.vocab_size = 300;
  CHECK(study_vocab_size(c, "") == 303);
  c.data.tokenizer = data::TokenizerKind::char_;  // the distinct characters of both sides, newline included, + 3
  std::set<char> chars{'\n'};
  for (const std::string& split : {"train.tsv", "val.tsv"}) {
    std::ifstream in(dir / "pairs" / split);
    for (char ch; in.get(ch);)
      if (ch != '\t' && ch != '\n') chars.insert(ch);
  }
  CHECK(study_vocab_size(c, "") == static_cast<int64_t>(chars.size()) + 3);
  fs::remove_all(dir);
}
