// Checkpoints, nothing lost: a failed save leaving no NAME.tmp and the old NAME intact, and
// the leftovers of a killed save removed. (A full disk: tests/checkpoint_full_disk.sh.)
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/checkpoint_files.h"
#include "data_test_support.h"

using namespace qkv;
using Catch::Contains;
using qkv::testing::TempDir;
namespace fs = std::filesystem;

namespace {

// Small but complete: parameters, AdamW-like state, a tokenizer and both generators.
Checkpoint sample_checkpoint() {
  Checkpoint c;
  c.step = 4;
  c.tokens_seen = 512;
  c.best_val_loss = 2.5;
  c.config_toml = "[model]\nn_layer = 1\n";
  c.params["wte.weight"] = Tensor::from({0.5, -1, 2, 0.25, 3, -4}, {3, 2});
  c.params["ln_f.bias"] = Tensor::from({0.125, -0.5}, {2});
  c.optim["wte.weight"]["exp_avg"] = full({3, 2}, 0.1);
  c.optim["wte.weight"]["exp_avg_sq"] = full({3, 2}, 0.01);
  c.optim["wte.weight"]["step"] = Tensor::scalar(4, DType::i64);
  c.tokenizer_kind = "char";
  c.tokenizer_vocab = 3;
  c.tokenizer_blob = "qkv-tokenizer 1 char\nabc";
  Generator data(7), dropout(8);
  dropout.normal();  // leaves a spare
  c.rng["data"] = data.state();
  c.rng["dropout"] = dropout.state();
  return c;
}

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST_CASE("a failed save removes NAME.tmp and leaves the old NAME as it was", "[checkpoint]") {
  TempDir tmp;
  std::string path = (tmp.path / "ckpt.h5").string();
  save_checkpoint(path, sample_checkpoint());
  std::string before = bytes_of(path);
  Checkpoint broken = sample_checkpoint();
  broken.optim["zzz"]["exp_avg"] = Tensor();  // written last among the tensors
  REQUIRE_THROWS_WITH(save_checkpoint(path, broken),
                      Contains("checkpoint: cannot write " + path + ": hdf5: " + path + ".tmp: cannot write an undefined"));
  CHECK_FALSE(fs::exists(path + ".tmp"));
  CHECK(bytes_of(path) == before);

  std::string nowhere = (tmp.path / "missing" / "ckpt.h5").string();
  REQUIRE_THROWS_WITH(save_checkpoint(nowhere, sample_checkpoint()),
                      Contains("checkpoint: cannot write " + nowhere) && Contains("No such file or directory"));
}


TEST_CASE("remove_stale_temporaries removes the *.h5.tmp a killed save left, and only those", "[checkpoint]") {
  TempDir tmp;
  for (const char* name : {"ckpt-000004.h5.tmp", "best.h5.tmp", "ckpt-000002.h5", "notes.tmp", "h5.tmp.txt"})
    tmp.file(name, "x");
  fs::create_directory(tmp.path / "folder.h5.tmp");
  std::string dir = tmp.path.string();
  CHECK(remove_stale_temporaries(dir) ==
        std::vector<std::string>{dir + "/best.h5.tmp", dir + "/ckpt-000004.h5.tmp"});
  CHECK_FALSE(fs::exists(tmp.path / "best.h5.tmp"));
  CHECK(fs::exists(tmp.path / "ckpt-000002.h5"));
  CHECK(fs::exists(tmp.path / "notes.tmp"));
  CHECK(fs::exists(tmp.path / "h5.tmp.txt"));
  CHECK(fs::is_directory(tmp.path / "folder.h5.tmp"));
  CHECK(remove_stale_temporaries(dir).empty());
  CHECK(remove_stale_temporaries(dir + "/missing").empty());
}


TEST_CASE("sync_to_disk flushes a file or a folder and names what it cannot open", "[checkpoint]") {
  TempDir tmp;
  std::string file = tmp.file("a.txt", "abc");
  sync_to_disk(file);
  sync_to_disk(tmp.path.string());
  std::string missing = (tmp.path / "missing").string();
  REQUIRE_THROWS_WITH(sync_to_disk(missing), "checkpoint: cannot open " + missing +
                                                 " to flush it to disk: No such file or directory");
}
