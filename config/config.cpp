#include "config/config.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <map>
#include <sstream>

#include "base/error.h"
#include "base/names.h"
#include "config/toml_text.h"
#include "data/text_file.h"

namespace qkv {
namespace {

// The values a number key accepts, declared beside the key in the table below: from min
// to max, each end closed or open, and always a finite number: a NaN or an inf means
// nothing for any key (an inf grad_clip or lr would act as "off" or end in a NaN loss).
// `note` says what a special value does ("0 turns clipping off").
struct Range {
  double min = -std::numeric_limits<double>::infinity(), max = std::numeric_limits<double>::infinity();
  bool min_open = false, max_open = false;
  const char* note = nullptr;

  bool contains(double v) const {
    return std::isfinite(v) && (min_open ? v > min : v >= min) && (max_open ? v < max : v <= max);
  }
  // What an error says the value must be: ">= 1", "> 0", "in [0, 1)", "in [1, 1024]".
  std::string text() const {
    std::string t = std::isinf(max) ? fmt::format("{} {}", min_open ? ">" : ">=", min)
                                    : fmt::format("in {}{}, {}{}", min_open ? "(" : "[", min, max, max_open ? ")" : "]");
    return note ? fmt::format("{} ({})", t, note) : t;
  }
};

constexpr Range any_value{};
constexpr Range at_least(double v, const char* note = nullptr) { return {.min = v, .note = note}; }
constexpr Range above(double v) { return {.min = v, .min_open = true}; }
constexpr Range between(double lo, double hi, const char* note = nullptr) { return {.min = lo, .max = hi, .note = note}; }
constexpr Range unit_interval{.min = 0, .max = 1, .max_open = true};  // [0, 1)

// Caps on sizes: far beyond what a CPU trains (GPT-3 has 96 layers of 96 heads, 12288
// wide, a 2048-token block), and low enough that every count nn/count.cpp multiplies
// stays far inside int64 (a layer's MLP: 2^20 x 2^16 x 3 weights, times 1024 layers, is
// 2^48). What fits the caps but not the machine is the memory check's to refuse
// (config/memory_budget.h), before anything big is allocated.
constexpr double kMaxLayers = 1024, kMaxHeads = 1024, kMaxWidth = 65536, kMaxLength = 1 << 20;
constexpr double kMaxThreads = 1024;

// One config key: how to read it from a TOML node, how to write it back and, for a
// number, the range validate() holds it to. The table below is the only place a key is
// named, so parsing, --set, to_toml and validate agree.
struct Key {
  std::string section, name, type;
  std::function<void(RunConfig&, const toml::node&, const std::string& where)> set;
  std::function<std::string(const RunConfig&)> show;
  std::function<void(const RunConfig&)> check;  // empty: any value of the type
  std::function<bool(const RunConfig&)> written = nullptr;  // to_toml writes the key when true; null: always
};

const char* toml_type_name(const toml::node& n) {
  if (n.is_string()) return "a string";
  if (n.is_integer()) return "an integer";
  if (n.is_floating_point()) return "a float";
  if (n.is_boolean()) return "a boolean";
  if (n.is_table()) return "a table";
  if (n.is_array()) return "an array";
  return "a date or time";
}

[[noreturn]] void wrong_type(const std::string& where, const std::string& type, const toml::node& n) {
  fail("config: {} must be {}, got {}", where, type, toml_type_name(n));
}

// "config: train.eval_interval must be >= 1, got 0" unless the key's value is in `range`.
template <typename Get>
std::function<void(const RunConfig&)> range_check(const std::string& s, const std::string& n, Get get, Range range) {
  return [=](const RunConfig& c) {
    const auto value = get(const_cast<RunConfig&>(c));
    const auto v = static_cast<double>(value);
    if (!range.contains(v))
      fail("config: {}.{} must be {}{}, got {}", s, n, std::isfinite(v) ? "" : "a finite number ", range.text(), value);
  };
}

template <typename Get>
Key int_key(const std::string& s, const std::string& n, Get get, Range range = any_value) {
  return {s, n, "an integer",
          [get](RunConfig& c, const toml::node& v, const std::string& w) {
            if (!v.is_integer()) wrong_type(w, "an integer", v);
            get(c) = v.as_integer()->get();
          },
          [get](const RunConfig& c) { return fmt::format("{}", get(const_cast<RunConfig&>(c))); },
          range_check(s, n, get, range)};
}

template <typename Get>
Key float_key(const std::string& s, const std::string& n, Get get, Range range = any_value) {
  return {s, n, "a number",
          [get](RunConfig& c, const toml::node& v, const std::string& w) {
            if (v.is_integer()) get(c) = static_cast<double>(v.as_integer()->get());
            else if (v.is_floating_point()) get(c) = v.as_floating_point()->get();
            else wrong_type(w, "a number", v);
          },
          [get](const RunConfig& c) { return fmt::format("{}", get(const_cast<RunConfig&>(c))); },
          range_check(s, n, get, range)};
}

template <typename Get>
Key bool_key(const std::string& s, const std::string& n, Get get) {
  return {s, n, "true or false",
          [get](RunConfig& c, const toml::node& v, const std::string& w) {
            if (!v.is_boolean()) wrong_type(w, "true or false", v);
            get(c) = v.as_boolean()->get();
          },
          [get](const RunConfig& c) { return std::string(get(const_cast<RunConfig&>(c)) ? "true" : "false"); },
          {}};
}

// `expected`, when given, makes an empty string an error that says what belongs there.
template <typename Get>
Key string_key(const std::string& s, const std::string& n, Get get, const char* expected = nullptr) {
  std::function<void(const RunConfig&)> check;
  if (expected)
    check = [=](const RunConfig& c) {
      QKV_CHECK(!get(const_cast<RunConfig&>(c)).empty(), "config: {}.{} is empty; expected {}", s, n, expected);
    };
  return {s, n, "a string",
          [get](RunConfig& c, const toml::node& v, const std::string& w) {
            if (!v.is_string()) wrong_type(w, "a string", v);
            get(c) = v.as_string()->get();
          },
          [get](const RunConfig& c) { return fmt::format("\"{}\"", get(const_cast<RunConfig&>(c))); },
          check};
}

// A string key whose value is one of an enum's names (its one table, base/names.h).
template <typename E, typename Get>
Key enum_key(const std::string& s, const std::string& n, Get get) {
  return {s, n, "one of " + name_list<E>(),
          [get](RunConfig& c, const toml::node& v, const std::string& w) {
            if (!v.is_string()) wrong_type(w, "a string (" + name_list<E>() + ")", v);
            get(c) = parse_name<E>(v.as_string()->get(), "config: " + w);
          },
          [get](const RunConfig& c) { return fmt::format("\"{}\"", name_of(get(const_cast<RunConfig&>(c)))); },
          {}};
}

using data::TokenizerKind;
using nn::AttentionConfig;
using nn::AttentionRole;
using nn::MlpKind;
using nn::ModelKind;
using nn::Positions;
using optim::OptimizerKind;
using optim::ScheduleKind;

// The key of one AttentionConfig field (nn::for_each_attention_key), read and written
// through `config`, the AttentionConfig it belongs to.
template <typename Field, typename Config>
Key attention_field_key(const std::string& section, const std::string& name, Field field, Config config) {
  auto get = [field, config](RunConfig& c) -> auto& { return config(c).*field; };
  using T = std::remove_cvref_t<decltype(std::declval<AttentionConfig&>().*field)>;
  if constexpr (std::is_same_v<T, bool>)
    return bool_key(section, name, get);
  else if constexpr (std::is_same_v<T, int64_t>)
    return int_key(section, name, get);
  else
    return enum_key<T>(section, name, get);
}

// [attention]: the per-attention keys, then the block properties causal and merged
// (ModelConfig fields kept under their old TOML names); then [attention.encoder],
// [attention.decoder], [attention.cross], written only for the keys set.
std::vector<Key> attention_keys() {
  std::vector<Key> out;
  nn::for_each_attention_key([&](const char* name, auto field) {
    out.push_back(attention_field_key("attention", name, field, [](RunConfig& c) -> auto& { return c.model.attention; }));
  });
  out.push_back(bool_key("attention", "causal", [](RunConfig& c) -> auto& { return c.model.causal; }));
  out.push_back(bool_key("attention", "merged", [](RunConfig& c) -> auto& { return c.model.merged; }));
  for (const auto& [role, role_name] : EnumNames<AttentionRole>::table) {
    const std::string section = "attention." + std::string(role_name);
    auto override_of = [role = role](const RunConfig& c) -> auto& { return const_cast<RunConfig&>(c).model.override_for(role); };
    nn::for_each_attention_key([&](const char* name, auto field) {
      Key k = attention_field_key(section, name, field, [override_of](RunConfig& c) -> auto& { return override_of(c).values; });
      k.set = [set = k.set, override_of, name = std::string(name)](RunConfig& c, const toml::node& v, const std::string& w) {
        set(c, v, w);
        override_of(c).keys.insert(name);
      };
      k.written = [override_of, name = std::string(name)](const RunConfig& c) { return override_of(c).keys.contains(name); };
      out.push_back(std::move(k));
    });
  }
  return out;
}

std::vector<Key> data_and_model_keys() {
  return {
      string_key("data", "corpus", [](RunConfig& c) -> auto& { return c.data.corpus; },
                 "a dataset name such as kjv, or a path to a text file or a corpus folder"),
      enum_key<TokenizerKind>("data", "tokenizer", [](RunConfig& c) -> auto& { return c.data.tokenizer; }),
      int_key("data", "vocab_size", [](RunConfig& c) -> auto& { return c.data.vocab_size; },
              between(0, kMaxLength, "0: the tokenizer's default")),

      enum_key<ModelKind>("model", "kind", [](RunConfig& c) -> auto& { return c.model.kind; }),
      int_key("model", "n_layer", [](RunConfig& c) -> auto& { return c.model.n_layer; }, between(1, kMaxLayers)),
      int_key("model", "n_head", [](RunConfig& c) -> auto& { return c.model.n_head; }, between(1, kMaxHeads)),
      int_key("model", "n_embd", [](RunConfig& c) -> auto& { return c.model.n_embd; }, between(1, kMaxWidth)),
      int_key("model", "block_size", [](RunConfig& c) -> auto& { return c.model.block_size; }, between(1, kMaxLength)),
      float_key("model", "dropout", [](RunConfig& c) -> auto& { return c.model.dropout; }, unit_interval),
      bool_key("model", "bias", [](RunConfig& c) -> auto& { return c.model.bias; }),
      bool_key("model", "tie_embeddings", [](RunConfig& c) -> auto& { return c.model.tie_embeddings; }),
      enum_key<Positions>("model", "positions", [](RunConfig& c) -> auto& { return c.model.positions; }),
      enum_key<MlpKind>("model", "mlp", [](RunConfig& c) -> auto& { return c.model.mlp; }),
      int_key("model", "mlp_hidden", [](RunConfig& c) -> auto& { return c.model.mlp_hidden; },
              between(0, kMaxLength, "0 means 4 x n_embd")),
  };
}

std::vector<Key> train_and_optim_keys() {
  return {
      int_key("train", "max_iters", [](RunConfig& c) -> auto& { return c.train.max_iters; }, at_least(1)),
      int_key("train", "batch_size", [](RunConfig& c) -> auto& { return c.train.batch_size; }, between(1, kMaxLength)),
      int_key("train", "grad_accum", [](RunConfig& c) -> auto& { return c.train.grad_accum; }, between(1, kMaxLength)),
      int_key("train", "eval_interval", [](RunConfig& c) -> auto& { return c.train.eval_interval; }, at_least(1)),
      int_key("train", "eval_iters", [](RunConfig& c) -> auto& { return c.train.eval_iters; }, at_least(1)),
      int_key("train", "log_interval", [](RunConfig& c) -> auto& { return c.train.log_interval; }, at_least(1)),
      int_key("train", "checkpoint_interval", [](RunConfig& c) -> auto& { return c.train.checkpoint_interval; },
              at_least(1)),
      int_key("train", "keep_checkpoints", [](RunConfig& c) -> auto& { return c.train.keep_checkpoints; },
              at_least(1)),
      int_key("train", "seed", [](RunConfig& c) -> auto& { return c.train.seed; }),
      int_key("train", "threads", [](RunConfig& c) -> auto& { return c.train.threads; },
              between(0, kMaxThreads, "0: all cores")),
      int_key("train", "bucket_mb", [](RunConfig& c) -> auto& { return c.train.bucket_mb; }, between(1, 1024)),
      int_key("train", "replica_check_interval", [](RunConfig& c) -> auto& { return c.train.replica_check_interval; },
              at_least(1)),
      string_key("train", "out", [](RunConfig& c) -> auto& { return c.train.out; }, "a folder for the checkpoints"),

      enum_key<OptimizerKind>("optim", "name", [](RunConfig& c) -> auto& { return c.optim.name; }),
      float_key("optim", "lr", [](RunConfig& c) -> auto& { return c.optim.lr; }, above(0)),
      float_key("optim", "min_lr", [](RunConfig& c) -> auto& { return c.optim.min_lr; }, at_least(0)),
      int_key("optim", "warmup_iters", [](RunConfig& c) -> auto& { return c.optim.warmup_iters; }, at_least(0)),
      int_key("optim", "lr_decay_iters", [](RunConfig& c) -> auto& { return c.optim.lr_decay_iters; }, at_least(0)),
      enum_key<ScheduleKind>("optim", "schedule", [](RunConfig& c) -> auto& { return c.optim.schedule; }),
      float_key("optim", "beta1", [](RunConfig& c) -> auto& { return c.optim.beta1; }, unit_interval),
      float_key("optim", "beta2", [](RunConfig& c) -> auto& { return c.optim.beta2; }, unit_interval),
      float_key("optim", "weight_decay", [](RunConfig& c) -> auto& { return c.optim.weight_decay; }, at_least(0)),
      bool_key("optim", "decay_embeddings", [](RunConfig& c) -> auto& { return c.optim.decay_embeddings; }),
      float_key("optim", "grad_clip", [](RunConfig& c) -> auto& { return c.optim.grad_clip; },
                at_least(0, "0 turns clipping off")),
      float_key("optim", "momentum", [](RunConfig& c) -> auto& { return c.optim.momentum; }, unit_interval),
  };
}

const std::vector<Key>& keys() {
  static const std::vector<Key> table = [] {
    std::vector<Key> t = data_and_model_keys();
    for (const std::vector<Key>& part : {attention_keys(), train_and_optim_keys()}) t.insert(t.end(), part.begin(), part.end());
    return t;
  }();
  return table;
}

const Key* find_key(const std::string& section, const std::string& name) {
  for (const Key& k : keys())
    if (k.section == section && k.name == name) return &k;
  return nullptr;
}

bool known_section(const std::string& s) {
  for (const Key& k : keys())
    if (k.section == s) return true;
  return false;
}

}  // namespace

toml::table parse_toml(const std::string& text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    fail("config: {}:{}:{}: {}", origin, where.line, where.column, e.description());
  }
}

namespace {

// An unknown key: inside [attention.encoder] and the like, one that is not per-attention.
[[noreturn]] void unknown_key(const std::string& context, const std::string& section, const std::string& name) {
  if (section.starts_with("attention.") && known_section(section)) {
    std::string per_attention;
    nn::for_each_attention_key([&](const char* n, auto) { per_attention += (per_attention.empty() ? "" : ", ") + std::string(n); });
    fail("config: {}: {}.{} is not a per-attention key (expected one of {})", context, section, name, per_attention);
  }
  fail("config: {}: unknown key {}.{}", context, section, name);
}

// The keys of one section; a sub-table is a section of its own ([attention.encoder]).
void read_section(RunConfig& cfg, const std::string& s, const toml::table& tbl, const std::string& origin) {
  for (auto&& [key, value] : tbl) {
    std::string k(key.str());
    if (value.is_table() && known_section(s + "." + k)) {
      read_section(cfg, s + "." + k, *value.as_table(), origin);
      continue;
    }
    const Key* desc = find_key(s, k);
    if (!desc) unknown_key(origin, s, k);
    desc->set(cfg, value, fmt::format("{}.{} in {}", s, k, origin));
  }
}

// Per-attention overrides that do not fit the model (nn::ModelConfig::override_problem).
// `where`: "FILE: " or "".
void check_overrides(const RunConfig& cfg, const std::string& where) {
  const std::string problem = cfg.model.override_problem();
  QKV_CHECK(problem.empty(), "config: {}{}", where, problem);
}

}  // namespace

RunConfig parse_config(const std::string& text, const std::string& origin) {
  toml::table root = parse_toml(text, origin);
  RunConfig cfg;
  for (auto&& [section, node] : root) {
    std::string s(section.str());
    if (!known_section(s)) fail("config: {}: unknown section [{}] (expected data, model, attention, train, optim)", origin, s);
    const toml::table* tbl = node.as_table();
    if (!tbl) fail("config: {}: '{}' must be a section [{}]", origin, s, s);
    read_section(cfg, s, *tbl, origin);
  }
  check_overrides(cfg, origin + ": ");
  return cfg;
}

std::string read_config_text(const std::string& path) {
  std::optional<std::string> text = data::read_file(path, "config", kMaxConfigBytes);
  if (!text) fail("config: cannot read {}: {}", path, errno == ENOENT ? "no such file" : std::strerror(errno));
  return std::move(*text);
}

RunConfig load_config(const std::string& path) { return parse_config(read_config_text(path), path); }

void apply_override(RunConfig& cfg, const std::string& assignment) {
  auto eq = assignment.find('=');
  // The key's last dot: sections may have one of their own (attention.encoder.score=rbf).
  auto dot = eq == std::string::npos ? std::string::npos : assignment.rfind('.', eq);
  if (eq == std::string::npos || dot == std::string::npos)
    fail("config: --set expects section.key=value, got '{}'", assignment);
  std::string section = assignment.substr(0, dot), name = assignment.substr(dot + 1, eq - dot - 1);
  std::string value = assignment.substr(eq + 1);
  const Key* desc = find_key(section, name);
  if (!desc) unknown_key("--set", section, name);
  // The value is TOML (3, 1e-3, true, "x"); a bare word is taken as a string.
  toml::table parsed;
  try {
    parsed = toml::parse("v = " + value);
  } catch (const toml::parse_error&) {
    parsed = toml::table{{"v", value}};
  }
  desc->set(cfg, *parsed.get("v"), fmt::format("{}.{} (from --set)", section, name));
}

std::string to_toml(const RunConfig& cfg) {
  std::string out, section;
  for (const Key& k : keys()) {
    if (k.written && !k.written(cfg)) continue;
    if (k.section != section) {
      out += fmt::format("{}[{}]\n", section.empty() ? "" : "\n", k.section);
      section = k.section;
    }
    out += fmt::format("{} = {}\n", k.name, k.show(cfg));
  }
  return out;
}

std::vector<KeyDifference> differing_keys(const RunConfig& a, const RunConfig& b) {
  auto value = [](const Key& k, const RunConfig& c) {
    return !k.written || k.written(c) ? k.show(c) : std::string("(not set)");
  };
  std::vector<KeyDifference> out;
  for (const Key& k : keys())
    if (value(k, a) != value(k, b)) out.push_back({k.section + "." + k.name, value(k, a), value(k, b)});
  return out;
}

void validate(const RunConfig& cfg) {
  for (const Key& k : keys())
    if (k.check) k.check(cfg);
  check_overrides(cfg, "");
  QKV_CHECK(cfg.data.tokenizer == TokenizerKind::char_ || cfg.data.vocab_size > 0,
            "config: data.vocab_size must be set for the {} tokenizer", name_of(cfg.data.tokenizer));
  QKV_CHECK(cfg.optim.min_lr <= cfg.optim.lr, "config: optim.min_lr must be <= optim.lr ({}), got {}", cfg.optim.lr,
            cfg.optim.min_lr);
}

}  // namespace qkv
