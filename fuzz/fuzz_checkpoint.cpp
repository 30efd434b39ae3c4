// What a checkpoint holds: a well-formed HDF5 file laid out as save_checkpoint lays it out
// (io/checkpoint.h), with contents the input edits, read as qkv sample/eval/translate read
// it (load_model: load_checkpoint, its config, its tokenizer, the model rebuilt and the
// weights loaded). The base is a real checkpoint of a 1-layer char-level GPT; the input is
// a list of edits, each one byte naming it, two bytes (little-endian) of payload length,
// then the payload:
//   0 config text      1 tokenizer blob   2 best_val_loss text   3 format text
//   4 version (int)    5 tokenizer kind   6 drop a parameter      7 reshape a parameter
//   8 retype a param   9 rename a param  10 drop an attribute    11 tokenizer vocab_size
// (Fuzzing the HDF5 bytes themselves is fuzz_checkpoint_file.)
#include <cstring>
#include <map>
#include <string>

#include "autograd/factory.h"
#include "config/model_io.h"
#include "fuzz/fuzz_support.h"
#include "io/hdf5_file.h"

namespace {

using namespace qkv;

constexpr const char* kConfig = R"([data]
corpus = "corpus.txt"
[model]
n_layer = 1
n_head = 2
n_embd = 8
block_size = 8
[train]
out = "run"
)";

// The checkpoint as its file's parts, before the edits.
struct Parts {
  std::map<std::string, std::string> text_attrs;  // on the root
  std::map<std::string, int64_t> int_attrs;
  std::string tokenizer_kind, tokenizer_blob;
  int64_t tokenizer_vocab = 0;
  std::map<std::string, Tensor> params;
  std::map<std::string, Tensor> optim;  // "name/key"
};

const Parts& base() {
  static const Parts p = [] {
    Parts p;
    RunConfig cfg = parse_config(kConfig, "base");
    auto tok = data::make_char_tokenizer("the cat sat on the mat 0123456789 times.\n");
    auto model = build_gpt(cfg, tok->vocab_size());
    p.text_attrs = {{"format", "qkv-checkpoint"}, {"best_val_loss", "3.0303"}, {"config", to_toml(cfg)}};
    p.int_attrs = {{"version", kCheckpointVersion}, {"step", 2}, {"tokens_seen", 64}};
    p.tokenizer_kind = tok->kind();
    p.tokenizer_vocab = tok->vocab_size();
    p.tokenizer_blob = tok->serialize();
    p.params = model->state_dict();
    for (const auto& [name, t] : p.params) p.optim[name + "/exp_avg"] = zeros(t.shape(), t.dtype());
    return p;
  }();
  return p;
}

int64_t int_of(std::string_view b) {
  int64_t v = 0;
  std::memcpy(&v, b.data(), std::min(b.size(), sizeof v));
  return v;
}

// The n-th entry of a map (n modulo its size); end() when it is empty.
template <typename Map>
auto nth(Map& m, std::string_view b) {
  if (m.empty() || b.empty()) return m.end();
  auto it = m.begin();
  std::advance(it, static_cast<size_t>(static_cast<uint8_t>(b[0])) % m.size());
  return it;
}

void apply_edit(Parts& p, int op, std::string_view b) {
  switch (op) {
    case 0: p.text_attrs["config"] = b; break;
    case 1: p.tokenizer_blob = b; break;
    case 2: p.text_attrs["best_val_loss"] = b; break;
    case 3: p.text_attrs["format"] = b; break;
    case 4: p.int_attrs["version"] = int_of(b); break;
    case 5: p.tokenizer_kind = b; break;
    case 6: if (auto it = nth(p.params, b); it != p.params.end()) p.params.erase(it); break;
    case 7: if (auto it = nth(p.params, b); it != p.params.end()) {  // dims from the bytes after the first
        Dims d;
        for (size_t i = 1; i < b.size() && i <= 4; ++i) d.push_back(static_cast<uint8_t>(b[i]) % 33);
        it->second = zeros(d, it->second.dtype());
      }
      break;
    case 8: if (auto it = nth(p.params, b); it != p.params.end()) {
        const DType types[] = {DType::f32, DType::f64, DType::i32, DType::i64};
        it->second = zeros(it->second.shape(), types[b.size() % 4]);
      }
      break;
    case 9: if (auto it = nth(p.params, b); it != p.params.end() && b.size() > 1) {
        std::string name(b.substr(1));
        for (char& c : name) if (c == '\0') c = '_';  // HDF5 names end at a NUL
        Tensor t = it->second;
        p.params.erase(it);
        p.params[name] = t;
      }
      break;
    case 10: {  // an attribute dropped: root text, root int, or the tokenizer's
      if (b.empty()) break;
      const size_t n = p.text_attrs.size() + p.int_attrs.size();
      const size_t k = static_cast<uint8_t>(b[0]);
      if (k % (n + 1) == n) p.tokenizer_kind.clear();  // written as no kind attribute
      else if (k % (n + 1) < p.text_attrs.size()) p.text_attrs.erase(nth(p.text_attrs, b));
      else if (!p.int_attrs.empty()) p.int_attrs.erase(nth(p.int_attrs, b));
      break;
    }
    default: p.tokenizer_vocab = int_of(b); break;
  }
}

// Written as save_checkpoint writes a checkpoint (its own attributes and datasets, so that
// any text or shape can be written).
void write(const std::string& path, const Parts& p) {
  Hdf5File f = Hdf5File::create(path);
  for (const auto& [k, v] : p.text_attrs) f.set_attr(k, v);
  for (const auto& [k, v] : p.int_attrs) f.set_attr(k, v);
  for (const auto& [name, t] : p.params) f.write("params/" + name, t);
  for (const auto& [name, t] : p.optim) f.write("optim/" + name, t);
  if (!p.tokenizer_kind.empty()) f.set_attr("kind", p.tokenizer_kind, "tokenizer");
  f.set_attr("vocab_size", p.tokenizer_vocab, "tokenizer");
  f.set_attr("blob", p.tokenizer_blob, "tokenizer");
  f.close();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  base();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Parts p = base();
  const std::string_view in = fuzz::as_text(data, size);
  for (size_t pos = 0; pos + 3 <= in.size();) {
    const int op = static_cast<uint8_t>(in[pos]) % 12;
    const size_t len = static_cast<uint8_t>(in[pos + 1]) | static_cast<size_t>(static_cast<uint8_t>(in[pos + 2])) << 8;
    std::string_view payload = in.substr(pos + 3, len);
    apply_edit(p, op, payload);
    pos += 3 + payload.size();
  }
  const std::string path = (fuzz::scratch_dir() / "ckpt.h5").string();
  try {
    write(path, p);  // names HDF5 refuses (".", "a//b") are not what this target is after
  } catch (const Error&) {
    return 0;
  }
  fuzz::expect_only_qkv_errors([&] {
    Checkpoint c = load_checkpoint(path);
    if (!fuzz::small_model(parse_config(c.config_toml, "config attribute"))) return;
    LoadedModel m = load_model(path);
    QKV_FUZZ_ASSERT((m.model != nullptr) != (m.seq2seq != nullptr), "load_model returned no model or two");
  });
  return 0;
}
