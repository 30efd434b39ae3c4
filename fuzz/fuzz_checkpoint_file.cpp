// Checkpoint files as bytes: the bytes as a file, read as qkv sample/eval/translate and
// --resume read it (load_checkpoint, then load_model: its config, its tokenizer, the model
// rebuilt and the weights loaded into it).
//
// Not among scripts/fuzz.sh's default targets: mutated HDF5 metadata crashes the HDF5
// library itself (Debian's 1.10.8) within seconds, in H5Aexists and similar, before qkv's
// code sees anything, which no change of ours can catch. fuzz_checkpoint fuzzes what a
// well-formed file holds instead. Run this one by name: scripts/fuzz.sh 60 checkpoint_file.
#include <string>

#include "config/model_io.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qkv;
  const std::string path = fuzz::write_scratch("ckpt.h5", fuzz::as_text(data, size));
  fuzz::expect_only_qkv_errors([&] {
    Checkpoint c = load_checkpoint(path);
    RunConfig cfg = parse_config(c.config_toml, path + " (config attribute)");
    if (!fuzz::small_model(cfg)) return;
    LoadedModel m = load_model(path);
    QKV_FUZZ_ASSERT((m.model != nullptr) != (m.seq2seq != nullptr), "load_model returned no model or two");
  });
  return 0;
}
