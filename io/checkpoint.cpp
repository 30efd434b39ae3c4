#include "io/checkpoint.h"

#include <bit>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <type_traits>

#include "autograd/tape.h"
#include "io/checkpoint_files.h"
#include "io/hdf5_file.h"

namespace qkv {
namespace fs = std::filesystem;
namespace {

// On the bits, which vectorizes (std::isfinite in this loop does not): an exponent of
// all ones is an infinity or a NaN.
template <typename T>
bool all_finite(const T* p, int64_t n) {
  using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
  constexpr Bits exponent = std::bit_cast<Bits>(std::numeric_limits<T>::infinity());
  Bits bad = 0;
  for (int64_t i = 0; i < n; ++i) bad |= (std::bit_cast<Bits>(p[i]) & exponent) == exponent;
  return !bad;
}

// Integer tensors are always finite.
bool all_finite(const Tensor& t) {
  if (!t.defined() || !t.is_floating_point()) return true;
  NoGradGuard no_grad;
  Tensor c = t.contiguous();
  return c.dtype() == DType::f32 ? all_finite(c.data<float>(), c.numel()) : all_finite(c.data<double>(), c.numel());
}

void write_rng(Hdf5File& f, const std::string& name, const Generator::State& st) {
  Tensor words = Tensor::empty({4}, DType::i64);
  for (int i = 0; i < 4; ++i) words.data<int64_t>()[i] = std::bit_cast<int64_t>(st.s[i]);
  f.write("rng/" + name + "/s", words);
  f.write("rng/" + name + "/spare", Tensor::scalar(st.spare, DType::f64));
  f.set_attr("has_spare", static_cast<int64_t>(st.has_spare), "rng/" + name);
}

void write_contents(const std::string& path, const Checkpoint& c) {
  Hdf5File f = Hdf5File::create(path);
  f.set_attr("format", std::string("qkv-checkpoint"));
  f.set_attr("version", kCheckpointVersion);
  f.set_attr("step", c.step);
  f.set_attr("tokens_seen", c.tokens_seen);
  f.set_attr("best_val_loss", fmt::format("{}", c.best_val_loss));
  f.set_attr("config", c.config_toml);
  for (const auto& [name, t] : c.params) f.write("params/" + name, t);
  for (const auto& [name, state] : c.optim)
    for (const auto& [key, t] : state) f.write("optim/" + name + "/" + key, t);
  f.set_attr("kind", c.tokenizer_kind, "tokenizer");
  f.set_attr("vocab_size", c.tokenizer_vocab, "tokenizer");
  f.set_attr("blob", c.tokenizer_blob, "tokenizer");
  for (const auto& [name, st] : c.rng) write_rng(f, name, st);
  f.close();
}

// Reads datasets, counting those with and without a crc32: a checkpoint has all or none.
struct TensorReader {
  explicit TensorReader(const Hdf5File& file) : f(file) {}
  const Hdf5File& f;
  int64_t checked = 0, unchecked = 0;
  std::string first_unchecked;

  Tensor operator()(const std::string& name) {
    if (f.has_checksum(name)) {
      ++checked;
    } else if (unchecked++ == 0) {
      first_unchecked = name;
    }
    return f.read(name);
  }
};

Generator::State read_rng(const Hdf5File& f, TensorReader& read, const std::string& name) {
  Generator::State st{};
  Tensor words = read("rng/" + name + "/s");
  QKV_CHECK(words.dtype() == DType::i64 && words.shape() == Dims{4},
            "checkpoint: {}: rng/{}/s is {}, expected int64[4]", f.path(), name, describe(words));
  for (int i = 0; i < 4; ++i) st.s[i] = std::bit_cast<uint64_t>(words.data<int64_t>()[i]);
  Tensor spare = read("rng/" + name + "/spare");
  QKV_CHECK(spare.is_floating_point() && spare.numel() == 1, "checkpoint: {}: rng/{}/spare is {}, expected one float64",
            f.path(), name, describe(spare));
  st.spare = spare.item();
  st.has_spare = f.attr_int("has_spare", "rng/" + name) != 0;
  return st;
}

// step, tokens_seen, vocab_size: a negative count is a crafted or damaged file.
int64_t read_count(const Hdf5File& f, const std::string& key, const std::string& group = "/") {
  int64_t value = f.attr_int(key, group);
  QKV_CHECK(value >= 0, "checkpoint: {}: attribute {} is {}, expected a count >= 0", f.path(), key, value);
  return value;
}

// best_val_loss is text ("inf" until the first evaluation), parsed whole or refused.
double read_loss(const Hdf5File& f) {
  std::string text = f.attr_string("best_val_loss");
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  QKV_CHECK(ec == std::errc() && end == text.data() + text.size(), "checkpoint: {}: best_val_loss '{}' is not a number",
            f.path(), text);
  return value;
}

Checkpoint read_checkpoint(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("checkpoint: {}: no such file", path);
  Hdf5File f = Hdf5File::open(path);
  QKV_CHECK(f.has_attr("format") && f.attr_string("format") == "qkv-checkpoint",
            "checkpoint: {} is an HDF5 file but not a qkv checkpoint (no format = \"qkv-checkpoint\")", path);
  int64_t version = f.attr_int("version");
  QKV_CHECK(version <= kCheckpointVersion, "checkpoint: {} has version {}, this qkv reads up to {}", path, version,
            kCheckpointVersion);
  QKV_CHECK(version >= 1, "checkpoint: {} has version {}, expected 1 to {}", path, version, kCheckpointVersion);
  Checkpoint c;
  c.step = read_count(f, "step");
  c.tokens_seen = read_count(f, "tokens_seen");
  c.best_val_loss = read_loss(f);
  c.config_toml = f.attr_string("config");
  TensorReader read(f);
  for (const std::string& name : f.list("params")) {
    Tensor t = read("params/" + name);
    QKV_CHECK(t.is_floating_point(), "checkpoint: {}: tensor params/{} is {}, expected float32 or float64", path, name,
              describe(t));
    c.params[name] = t;
  }
  if (f.has("optim"))
    for (const std::string& entry : f.list("optim")) {
      auto slash = entry.rfind('/');
      QKV_CHECK(slash != std::string::npos, "checkpoint: {}: optim/{} is not of the form optim/<param>/<key>", path,
                entry);
      c.optim[entry.substr(0, slash)][entry.substr(slash + 1)] = read("optim/" + entry);
    }
  std::string bad = first_non_finite(c);
  QKV_CHECK(bad.empty(), "checkpoint: {}: tensor {} holds a non-finite value (NaN or Inf)", path, bad);
  c.tokenizer_kind = f.attr_string("kind", "tokenizer");
  c.tokenizer_vocab = read_count(f, "vocab_size", "tokenizer");
  c.tokenizer_blob = f.attr_string("blob", "tokenizer");
  if (f.has("rng"))
    for (const std::string& entry : f.list("rng")) {
      std::string name = entry.substr(0, entry.find('/'));
      if (!c.rng.count(name)) c.rng[name] = read_rng(f, read, name);
    }
  if (read.checked == 0 && read.unchecked > 0)
    fmt::print(stderr, "qkv: note: {} has no checksums (written by an older qkv); loaded unverified\n", path);
  QKV_CHECK(read.unchecked == 0 || read.checked == 0,
            "checkpoint: {}: tensor {} has no crc32 while other tensors have one: the file was edited or is corrupt",
            path, read.first_unchecked);
  return c;
}

}  // namespace

std::string first_non_finite(const Checkpoint& c) {
  for (const auto& [name, t] : c.params)
    if (!all_finite(t)) return "params/" + name;
  for (const auto& [name, state] : c.optim)
    for (const auto& [key, t] : state)
      if (!all_finite(t)) return "optim/" + name + "/" + key;
  return "";
}

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  std::string bad = first_non_finite(c);
  QKV_CHECK(bad.empty(), "checkpoint: refusing to save {}: tensor {} holds a non-finite value (NaN or Inf)", path, bad);
  const std::string tmp = path + ".tmp";
  // Until the rename, any failure removes NAME.tmp: a failed save leaves nothing behind.
  struct RemoveUnlessKept {
    const std::string& path;
    bool keep = false;
    ~RemoveUnlessKept() {
      std::error_code ec;
      if (!keep) fs::remove(path, ec);
    }
  } cleanup{tmp};
  try {
    write_contents(tmp, c);
  } catch (const std::exception& e) {
    fail("checkpoint: cannot write {}: {}", path, e.what());
  }
  sync_to_disk(tmp);  // the data is on disk before the name points at it
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) fail("checkpoint: cannot rename {} to {}: {}", tmp, path, ec.message());
  cleanup.keep = true;
  fs::path folder = fs::path(path).parent_path();
  sync_to_disk(folder.empty() ? "." : folder.string());  // and the rename is
}

// Any exception that is not already a qkv::Error (bad_alloc, ...) still names the file.
Checkpoint load_checkpoint(const std::string& path) {
  try {
    return read_checkpoint(path);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    fail("checkpoint: {}: {}", path, e.what());
  }
}

}  // namespace qkv
