// Checkpoints, nothing lost and nothing crashing: every tensor checksummed and checked on
// load, older checkpoints without checksums loaded with one notice, non-finite tensors
// refused on save and on load, crafted or damaged files as one-line qkv::Errors naming the
// file, a failed save leaving no NAME.tmp and the old NAME intact, and the leftovers of a
// killed save removed. (A full disk: tests/checkpoint_full_disk.sh.)
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>

#include "autograd/autograd.h"
#include "io/checkpoint.h"
#include "io/checkpoint_files.h"
#include "io/hdf5_file.h"
#include "data_test_support.h"
#include "hdf5_edit.h"

using namespace qkv;
using Catch::Contains;
using qkv::testing::Hdf5Edit;
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

// What fn writes to stderr (fd 2), captured through a file.
std::string stderr_of(const std::function<void()>& fn, const std::string& scratch) {
  std::fflush(stderr);
  int saved = dup(2);
  FILE* sink = std::fopen(scratch.c_str(), "w");
  dup2(fileno(sink), 2);
  try {
    fn();
  } catch (...) {
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    std::fclose(sink);
    throw;
  }
  std::fflush(stderr);
  dup2(saved, 2);
  close(saved);
  std::fclose(sink);
  return bytes_of(scratch);
}

// load_checkpoint(path) must throw a qkv::Error of one line naming the file and holding
// `expected`; any other exception fails the test case.
void require_load_error(const std::string& path, const std::string& expected) {
  try {
    load_checkpoint(path);
    FAIL("load_checkpoint accepted it");
  } catch (const Error& e) {
    std::string message = e.what();
    CHECK_THAT(message, Contains(path) && Contains(expected));
    CHECK(message.find('\n') == std::string::npos);
  }
}

}  // namespace

TEST_CASE("every tensor of a checkpoint carries a crc32 and round-trips", "[checkpoint]") {
  TempDir tmp;
  std::string path = (tmp.path / "ckpt.h5").string();
  Checkpoint c = sample_checkpoint();
  save_checkpoint(path, c);
  Hdf5File f = Hdf5File::open(path);
  std::vector<std::string> names = f.list();
  CHECK(names.size() == 9);  // 2 params, 3 optimizer tensors, 2 x (s, spare)
  for (const std::string& name : names) CHECK(f.has_checksum(name));
  Checkpoint back = load_checkpoint(path);
  CHECK(back.params.at("wte.weight").to_vector<float>() == c.params.at("wte.weight").to_vector<float>());
  CHECK(back.optim.at("wte.weight").at("step").to_vector<int64_t>() == std::vector<int64_t>{4});
  CHECK(back.rng.at("dropout").spare == c.rng.at("dropout").spare);
  CHECK(back.rng.at("dropout").has_spare);
  CHECK(back.best_val_loss == 2.5);
}

TEST_CASE("a corrupt byte in a tensor is an error naming the file and the tensor", "[checkpoint]") {
  TempDir tmp;
  std::string path = (tmp.path / "ckpt-000004.h5").string();
  save_checkpoint(path, sample_checkpoint());
  haddr_t at = Hdf5Edit(path).offset("optim/wte.weight/exp_avg_sq");
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(at + 2));
    f.put('\x7f');
  }
  require_load_error(path, "dataset 'optim/wte.weight/exp_avg_sq' fails its checksum (stored crc32 ");
}

TEST_CASE("a checkpoint without checksums loads with one notice, one missing among many is an error",
          "[checkpoint]") {
  TempDir tmp;
  std::string path = (tmp.path / "old.h5").string();
  std::string scratch = (tmp.path / "stderr.txt").string();
  save_checkpoint(path, sample_checkpoint());
  std::vector<std::string> names = Hdf5File::open(path).list();
  {
    Hdf5Edit edit(path);
    for (const std::string& name : names) edit.remove_attr(name, "crc32");
  }
  Checkpoint back;
  std::string notice = stderr_of([&] { back = load_checkpoint(path); }, scratch);
  CHECK(notice == "qkv: note: " + path + " has no checksums (written by an older qkv); loaded unverified\n");
  CHECK(back.params.at("ln_f.bias").to_vector<float>() == std::vector<float>{0.125f, -0.5f});

  std::string fresh = (tmp.path / "fresh.h5").string();
  save_checkpoint(fresh, sample_checkpoint());
  CHECK(stderr_of([&] { load_checkpoint(fresh); }, scratch).empty());
  Hdf5Edit(fresh).remove_attr("params/ln_f.bias", "crc32");
  require_load_error(fresh, "tensor params/ln_f.bias has no crc32 while other tensors have one");
}

TEST_CASE("first_non_finite names the first NaN or infinity of params and optimizer state", "[checkpoint]") {
  Checkpoint c = sample_checkpoint();
  CHECK(first_non_finite(c).empty());
  c.optim["wte.weight"]["exp_avg_sq"] = full({3, 2}, std::numeric_limits<double>::infinity());
  CHECK(first_non_finite(c) == "optim/wte.weight/exp_avg_sq");
  // A strided view is scanned in full.
  c.params["wte.weight"] = Tensor::from({0.5, -1, 2, 0.25, 3, std::nan("")}, {3, 2}).transpose(0, 1);
  CHECK(first_non_finite(c) == "params/wte.weight");
  c.params["wte.weight"] = Tensor::from({0.5, -1, 2, 0.25, 3, -4}, {3, 2}, DType::f64);
  CHECK(first_non_finite(c) == "optim/wte.weight/exp_avg_sq");
}

TEST_CASE("save refuses a non-finite tensor before creating any file", "[checkpoint]") {
  TempDir tmp;
  std::string path = (tmp.path / "ckpt.h5").string();
  Checkpoint c = sample_checkpoint();
  c.params["ln_f.bias"] = Tensor::from({0.125, std::nan("")}, {2});
  REQUIRE_THROWS_WITH(save_checkpoint(path, c), "checkpoint: refusing to save " + path +
                                                    ": tensor params/ln_f.bias holds a non-finite value (NaN or Inf)");
  c = sample_checkpoint();
  c.optim["wte.weight"]["exp_avg"] = full({3, 2}, -std::numeric_limits<double>::infinity());
  REQUIRE_THROWS_WITH(save_checkpoint(path, c), Contains("tensor optim/wte.weight/exp_avg holds a non-finite value"));
  CHECK(fs::is_empty(tmp.path));
}

TEST_CASE("load refuses a non-finite tensor even when its checksum matches", "[checkpoint]") {
  TempDir tmp;
  std::string path = (tmp.path / "nan.h5").string();
  save_checkpoint(path, sample_checkpoint());
  Hdf5Edit(path).overwrite_f32("params/ln_f.bias", {0.125f, std::nanf("")});
  require_load_error(path, "tensor params/ln_f.bias holds a non-finite value (NaN or Inf)");

  save_checkpoint(path, sample_checkpoint());
  Hdf5Edit(path).overwrite_f32("optim/wte.weight/exp_avg", std::vector<float>(6, INFINITY));
  require_load_error(path, "tensor optim/wte.weight/exp_avg holds a non-finite value");
}

TEST_CASE("crafted checkpoints are one-line qkv::Errors naming the file, never a crash", "[checkpoint]") {
  TempDir tmp;
  const double half = 0.5;
  const uint8_t byte = 1;
  const std::vector<int32_t> ints(6, 1);
  const std::vector<int64_t> words{1, 2, 3, 4};
  const std::vector<double> spares{0, 1, 2, 3};  // enough for the 4 float "words" below
  struct Case {
    std::string what;
    std::function<void(Hdf5Edit&)> edit;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"format is an integer", [](Hdf5Edit& e) { e.set_attr("/", "format", int64_t{1}); },
       "attribute 'format' on '/' is not a string"},
      {"version is text", [](Hdf5Edit& e) { e.set_attr("/", "version", std::string("1")); },
       "attribute 'version' on '/' is not an integer"},
      {"version 0", [](Hdf5Edit& e) { e.set_attr("/", "version", int64_t{0}); }, "has version 0, expected 1 to 1"},
      {"no step", [](Hdf5Edit& e) { e.remove_attr("/", "step"); }, "no attribute 'step' on '/'"},
      {"a negative step", [](Hdf5Edit& e) { e.set_attr("/", "step", int64_t{-3}); },
       "attribute step is -3, expected a count >= 0"},
      {"best_val_loss is not a number", [](Hdf5Edit& e) { e.set_attr("/", "best_val_loss", std::string("abc")); },
       "best_val_loss 'abc' is not a number"},
      {"best_val_loss has trailing text", [](Hdf5Edit& e) { e.set_attr("/", "best_val_loss", std::string("2.5x")); },
       "best_val_loss '2.5x' is not a number"},
      {"best_val_loss is empty", [](Hdf5Edit& e) { e.set_attr("/", "best_val_loss", std::string()); },
       "best_val_loss '' is not a number"},
      {"best_val_loss is a float64",
       [&](Hdf5Edit& e) { e.set_attr("/", "best_val_loss", H5T_NATIVE_DOUBLE, &half); },
       "attribute 'best_val_loss' on '/' is not a string"},
      {"no params group", [](Hdf5Edit& e) { e.remove("params"); }, "no group 'params'"},
      {"params is a dataset",
       [&](Hdf5Edit& e) {
         e.remove("params");
         e.put("params", H5T_NATIVE_DOUBLE, {1}, &half);
       },
       "'params' is not a group"},
      {"no tokenizer group", [](Hdf5Edit& e) { e.remove("tokenizer"); }, "no group 'tokenizer'"},
      {"a negative vocab_size", [](Hdf5Edit& e) { e.set_attr("tokenizer", "vocab_size", int64_t{-1}); },
       "attribute vocab_size is -1"},
      {"a uint8 parameter", [&](Hdf5Edit& e) { e.put("params/ln_f.bias", H5T_NATIVE_UINT8, {1}, &byte); },
       "dataset 'params/ln_f.bias' is uint8, expected float32, float64, int32 or int64"},
      {"an int32 parameter", [&](Hdf5Edit& e) { e.put("params/wte.weight", H5T_NATIVE_INT32, {3, 2}, ints.data()); },
       "tensor params/wte.weight is int32[3,2], expected float32 or float64"},
      {"a parameter of 2^60 elements",
       [](Hdf5Edit& e) { e.put("params/wte.weight", H5T_IEEE_F32LE, {hsize_t{1} << 60}); },
       "dataset 'params/wte.weight' claims shape [1152921504606846976] of float32, more than the file's"},
      {"a shape whose size overflows",
       [](Hdf5Edit& e) { e.put("params/wte.weight", H5T_IEEE_F32LE, {hsize_t{1} << 32, hsize_t{1} << 32}); },
       "claims shape [4294967296,4294967296]"},
      {"a parameter of rank 9",
       [&](Hdf5Edit& e) { e.put("params/ln_f.bias", H5T_NATIVE_DOUBLE, {1, 1, 1, 1, 1, 1, 1, 1, 1}, &half); },
       "dataset 'params/ln_f.bias' has rank 9, at most 8 supported"},
      {"an optim entry with no parameter", [&](Hdf5Edit& e) { e.put("optim/loose", H5T_NATIVE_DOUBLE, {1}, &half); },
       "optim/loose is not of the form optim/<param>/<key>"},
      {"rng words of shape [2,2]", [&](Hdf5Edit& e) { e.put("rng/data/s", H5T_NATIVE_INT64, {2, 2}, words.data()); },
       "rng/data/s is int64[2,2], expected int64[4]"},
      {"three rng words", [&](Hdf5Edit& e) { e.put("rng/data/s", H5T_NATIVE_INT64, {3}, words.data()); },
       "rng/data/s is int64[3], expected int64[4]"},
      {"float rng words", [&](Hdf5Edit& e) { e.put("rng/data/s", H5T_NATIVE_DOUBLE, {4}, spares.data()); },
       "rng/data/s is float64[4], expected int64[4]"},
      {"three rng spares", [&](Hdf5Edit& e) { e.put("rng/dropout/spare", H5T_NATIVE_DOUBLE, {3}, spares.data()); },
       "rng/dropout/spare is float64[3], expected one float64"},
      {"no has_spare", [](Hdf5Edit& e) { e.remove_attr("rng/data", "has_spare"); },
       "no attribute 'has_spare' on '/rng/data'"},
      {"a crc32 that is text", [](Hdf5Edit& e) { e.set_attr("params/ln_f.bias", "crc32", std::string("0")); },
       "attribute 'crc32' on '/params/ln_f.bias' is not an integer"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    std::string path = (tmp.path / "crafted.h5").string();
    save_checkpoint(path, sample_checkpoint());
    {
      Hdf5Edit edit(path);
      c.edit(edit);
    }
    require_load_error(path, c.expected);
  }
}

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

TEST_CASE("h5py users verify each crc32 with zlib.crc32(ds[()].tobytes())", "[checkpoint][h5py]") {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) {
    WARN("skipped: /usr/bin/python3 cannot import h5py (apt-get install python3-h5py)");
    return;
  }
  TempDir tmp;
  std::string path = (tmp.path / "ckpt.h5").string();
  save_checkpoint(path, sample_checkpoint());
  std::string script = tmp.file("check.py",
                                "import h5py, sys, zlib\n"
                                "found = []\n"
                                "def visit(name, obj):\n"
                                "    if isinstance(obj, h5py.Dataset):\n"
                                "        assert zlib.crc32(obj[()].tobytes()) == obj.attrs['crc32'], name\n"
                                "        found.append(name)\n"
                                "h5py.File(sys.argv[1], 'r').visititems(visit)\n"
                                "print(len(found))\n");
  std::string out = (tmp.path / "out.txt").string();
  REQUIRE(std::system(("/usr/bin/python3 " + script + " " + path + " > " + out).c_str()) == 0);
  CHECK(bytes_of(out) == "9\n");  // scalars (optim step, rng spare) included
}
