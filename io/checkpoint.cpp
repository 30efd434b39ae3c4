#include "io/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <bit>
#include <charconv>
#include <cstdio>
#include <filesystem>

#include "autograd/factory.h"
#include "io/hdf5_file.h"

namespace qkv {
namespace {

void write_rng(Hdf5File& f, const std::string& name, const Generator::State& st) {
  Tensor words = Tensor::empty({4}, DType::i64);
  for (int i = 0; i < 4; ++i) words.data<int64_t>()[i] = std::bit_cast<int64_t>(st.s[i]);
  f.write("rng/" + name + "/s", words);
  f.write("rng/" + name + "/spare", Tensor::scalar(st.spare, DType::f64));
  f.set_attr("has_spare", static_cast<int64_t>(st.has_spare), "rng/" + name);
}

Generator::State read_rng(const Hdf5File& f, const std::string& name) {
  Generator::State st{};
  Tensor words = f.read("rng/" + name + "/s");
  QKV_CHECK(words.numel() == 4 && words.dtype() == DType::i64, "checkpoint: {}: rng/{}/s must be 4 int64 words",
        f.path(), name);
  for (int i = 0; i < 4; ++i) st.s[i] = std::bit_cast<uint64_t>(words.data<int64_t>()[i]);
  st.spare = f.read("rng/" + name + "/spare").item();
  st.has_spare = f.attr_int("has_spare", "rng/" + name) != 0;
  return st;
}

// Makes the renamed file durable: the data is on disk before the name points at it.
void sync_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail("checkpoint: cannot reopen {} to flush it", path);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail("checkpoint: cannot flush {} to disk", path);
}

}  // namespace

void save_checkpoint(const std::string& path, const Checkpoint& c) {
  const std::string tmp = path + ".tmp";
  {
    Hdf5File f = Hdf5File::create(tmp);
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
  sync_file(tmp);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) fail("checkpoint: cannot rename {} to {}: {}", tmp, path, ec.message());
}

Checkpoint load_checkpoint(const std::string& path) {
  if (!std::filesystem::exists(path)) fail("checkpoint: {}: no such file", path);
  Hdf5File f = Hdf5File::open(path);
  QKV_CHECK(f.has_attr("format") && f.attr_string("format") == "qkv-checkpoint",
        "checkpoint: {} is an HDF5 file but not a qkv checkpoint (no format = \"qkv-checkpoint\")", path);
  int64_t version = f.attr_int("version");
  QKV_CHECK(version <= kCheckpointVersion, "checkpoint: {} has version {}, this qkv reads up to {}", path, version,
        kCheckpointVersion);
  Checkpoint c;
  c.step = f.attr_int("step");
  c.tokens_seen = f.attr_int("tokens_seen");
  const std::string best = f.attr_string("best_val_loss");
  const auto [end, ec] = std::from_chars(best.data(), best.data() + best.size(), c.best_val_loss);
  QKV_CHECK(ec == std::errc() && end == best.data() + best.size(),
            "checkpoint: {}: best_val_loss is not a number: '{}'", path, best);
  c.config_toml = f.attr_string("config");
  for (const std::string& name : f.list("params")) c.params[name] = f.read("params/" + name);
  if (f.has("optim"))
    for (const std::string& entry : f.list("optim")) {
      auto slash = entry.rfind('/');
      c.optim[entry.substr(0, slash)][entry.substr(slash + 1)] = f.read("optim/" + entry);
    }
  c.tokenizer_kind = f.attr_string("kind", "tokenizer");
  c.tokenizer_vocab = f.attr_int("vocab_size", "tokenizer");
  c.tokenizer_blob = f.attr_string("blob", "tokenizer");
  if (f.has("rng"))
    for (const std::string& entry : f.list("rng")) {
      std::string name = entry.substr(0, entry.find('/'));
      if (!c.rng.count(name)) c.rng[name] = read_rng(f, name);
    }
  return c;
}

}  // namespace qkv
