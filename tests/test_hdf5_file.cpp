// Hdf5File: tensors and attributes round-trip exactly; names may hold dots; every dataset
// carries a crc32 that reading checks; a dataspace larger than its file is refused; errors
// name the file and the dataset.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "autograd/autograd.h"
#include "io/hdf5_file.h"
#include "hdf5_edit.h"

using namespace qkv;
using Catch::Contains;
using qkv::testing::Hdf5Edit;
namespace fs = std::filesystem;

namespace {
// A fresh folder per test case, removed at the end.
struct TempDir {
  fs::path dir;
  explicit TempDir(const std::string& tag)
      : dir(fs::temp_directory_path() / fmt::format("qkv_test_{}_{}", tag, getpid())) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDir() { fs::remove_all(dir); }
  std::string file(const std::string& name) const { return (dir / name).string(); }
};

// zlib's crc32 of a tensor's row-major bytes: what h5py users compute from ds[()].tobytes().
template <typename T>
int64_t crc_of(const Tensor& t) {
  std::vector<T> v = t.to_vector<T>();
  return crc32_z(0, reinterpret_cast<const Bytef*>(v.data()), v.size() * sizeof(T));
}

void flip_byte(const std::string& path, std::streamoff at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = static_cast<char>(f.get() ^ 0x10);
  f.seekp(at);
  f.put(c);
}
}  // namespace

TEST_CASE("every dtype round-trips with its shape and exact values", "[hdf5]") {
  TempDir tmp("hdf5_dtypes");
  std::string path = tmp.file("t.h5");
  Tensor f32 = Tensor::from(std::vector<float>{1.5f, -2.25f, 3e-8f, 4e30f, 0.f, -0.f}, {2, 3});
  Tensor f64 = Tensor::from(std::vector<double>{0.1, 1.0 / 3.0, -1e-300, 2.0}, {4});
  Tensor i32 = Tensor::from(std::vector<int32_t>{1, -2, 3, -4, 5, -6, 7, 2147483647}, {2, 2, 2});
  Tensor i64 = Tensor::from(std::vector<int64_t>{-9000000000000000000LL}, {});  // a scalar
  Tensor transposed = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64).transpose(0, 1);
  {
    Hdf5File f = Hdf5File::create(path);
    f.write("f32", f32);
    f.write("f64", f64);
    f.write("i32", i32);
    f.write("i64", i64);
    f.write("transposed", transposed);
    f.close();
  }
  Hdf5File f = Hdf5File::open(path);
  Tensor a = f.read("f32"), b = f.read("f64"), c = f.read("i32"), d = f.read("i64"), e = f.read("transposed");
  CHECK(describe(a) == "float32[2,3]");
  CHECK(describe(b) == "float64[4]");
  CHECK(describe(c) == "int32[2,2,2]");
  CHECK(d.dtype() == DType::i64);
  CHECK(d.dim() == 0);
  CHECK(a.to_vector<float>() == f32.to_vector<float>());
  CHECK(b.to_vector<double>() == f64.to_vector<double>());
  CHECK(c.to_vector<int32_t>() == i32.to_vector<int32_t>());
  CHECK(d.to_vector<int64_t>() == std::vector<int64_t>{-9000000000000000000LL});
  // Written in logical (row-major) order, whatever the strides were.
  CHECK(e.shape() == Dims{3, 2});
  CHECK(e.to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});
  CHECK_FALSE(a.requires_grad());
}

TEST_CASE("dataset names may hold dots, groups are made on the way and listed", "[hdf5]") {
  TempDir tmp("hdf5_names");
  std::string path = tmp.file("names.h5");
  {
    Hdf5File f = Hdf5File::create(path);
    f.write("params/blocks.0.attn.q_proj.weight", Tensor::from({1, 2, 3, 4}, {2, 2}));
    f.write("/params/ln_f.bias", Tensor::from({5, 6}, {2}));  // a leading slash is the same path
    f.write("optim/blocks.0.attn.q_proj.weight/exp_avg", Tensor::from({7}, {1}));
    REQUIRE_THROWS_WITH(f.write("params/ln_f.bias", Tensor::from({1}, {1})),
                        Contains("hdf5: " + path + ": 'params/ln_f.bias' already exists"));
  }
  Hdf5File f = Hdf5File::open(path);
  CHECK(f.read("params/blocks.0.attn.q_proj.weight").to_vector<float>() == std::vector<float>{1, 2, 3, 4});
  CHECK(f.has("params/blocks.0.attn.q_proj.weight"));
  CHECK(f.has("params"));
  CHECK(f.has("/optim/blocks.0.attn.q_proj.weight/"));
  CHECK_FALSE(f.has("params/blocks"));  // the dots are part of the name, not a hierarchy
  CHECK_FALSE(f.has("missing/deeper/still"));
  CHECK(f.list("params") == std::vector<std::string>{"blocks.0.attn.q_proj.weight", "ln_f.bias"});
  CHECK(f.list() == std::vector<std::string>{"optim/blocks.0.attn.q_proj.weight/exp_avg",
                                             "params/blocks.0.attn.q_proj.weight", "params/ln_f.bias"});
  REQUIRE_THROWS_WITH(f.list("nothing"), Contains("no group 'nothing'"));
  REQUIRE_THROWS_WITH(f.list("params/ln_f.bias"), Contains("'params/ln_f.bias' is not a group"));
}

TEST_CASE("string and int64 attributes on the root and on groups", "[hdf5]") {
  TempDir tmp("hdf5_attrs");
  std::string path = tmp.file("attrs.h5");
  std::string toml = "[model]\nn_layer = 4\nname = \"café ✓\"\n";
  {
    Hdf5File f = Hdf5File::create(path);
    f.set_attr("format", "qkv-checkpoint");
    f.set_attr("config", toml);
    f.set_attr("step", int64_t{5});
    f.set_attr("step", int64_t{-123456789012345});  // replaced, not duplicated
    f.set_attr("empty", "");
    f.set_attr("count", int64_t{3}, "optim");  // the group is created for it
  }
  Hdf5File f = Hdf5File::open(path);
  CHECK(f.attr_string("format") == "qkv-checkpoint");
  CHECK(f.attr_string("config") == toml);
  CHECK(f.attr_string("empty").empty());
  CHECK(f.attr_int("step") == -123456789012345);
  CHECK(f.attr_int("count", "optim") == 3);
  CHECK(f.has_attr("count", "/optim"));
  CHECK_FALSE(f.has_attr("count"));
  CHECK_FALSE(f.has_attr("count", "nowhere"));
  REQUIRE_THROWS_WITH(f.attr_int("format"), Contains("hdf5: " + path + ": attribute 'format' on '/' is not an integer"));
  REQUIRE_THROWS_WITH(f.attr_string("step"), Contains("attribute 'step' on '/' is not a string"));
  REQUIRE_THROWS_WITH(f.attr_string("version"), Contains("hdf5: " + path + ": no attribute 'version' on '/'"));
  REQUIRE_THROWS_WITH(f.set_attr("x", int64_t{1}), Contains("hdf5: " + path + ": opened read-only, cannot write 'x'"));
}

TEST_CASE("a missing dataset is an error naming the file and the dataset", "[hdf5]") {
  TempDir tmp("hdf5_missing");
  std::string path = tmp.file("x.h5");
  {
    Hdf5File f = Hdf5File::create(path);
    f.write("params/bar", Tensor::from({1}, {1}));
  }
  Hdf5File f = Hdf5File::open(path);
  REQUIRE_THROWS_WITH(f.read("params/foo"), Contains("hdf5: " + path + ": no dataset 'params/foo'"));
  REQUIRE_THROWS_WITH(f.read("params"), Contains("no dataset 'params'"));  // a group is not a dataset
  REQUIRE_THROWS_WITH(f.write("params/new", Tensor::from({1}, {1})), Contains("opened read-only"));
}

TEST_CASE("missing, foreign and truncated files are clear errors naming the file", "[hdf5]") {
  TempDir tmp("hdf5_foreign");
  std::string missing = tmp.file("missing.h5");
  REQUIRE_THROWS_WITH(Hdf5File::open(missing), Contains("hdf5: " + missing + ": no such file"));

  std::string text = tmp.file("notes.h5");
  std::ofstream(text) << "not an HDF5 file at all\n";
  REQUIRE_THROWS_WITH(Hdf5File::open(text), Contains("hdf5: " + text + ": not an HDF5 file"));

  std::string cut = tmp.file("cut.h5");
  {
    Hdf5File f = Hdf5File::create(cut);
    f.write("big", zeros({64, 64}, DType::f64));
  }
  fs::resize_file(cut, fs::file_size(cut) / 2);
  REQUIRE_THROWS_WITH(Hdf5File::open(cut), Contains("hdf5: " + cut + ": cannot open: truncated or corrupt"));

  REQUIRE_THROWS_WITH(Hdf5File::create(tmp.file("no/such/folder/x.h5")), Contains("cannot create the file"));
}

TEST_CASE("every dataset carries zlib's crc32 of its little-endian bytes, scalars included", "[hdf5][checksum]") {
  TempDir tmp("hdf5_crc");
  std::string path = tmp.file("crc.h5");
  Tensor f32 = Tensor::from(std::vector<float>{1.5f, -2.25f, 3e-8f, 4e30f, 0.f, -0.f}, {2, 3});
  Tensor transposed = Tensor::from({1, 2, 3, 4, 5, 6}, {2, 3}, DType::f64).transpose(0, 1);
  Tensor scalar = Tensor::scalar(7, DType::i64);
  Tensor empty = Tensor::empty({0, 3}, DType::i32);
  {
    Hdf5File f = Hdf5File::create(path);
    f.write("f32", f32);
    f.write("g/transposed", transposed);
    f.write("scalar", scalar);
    f.write("empty", empty);
    f.close();
  }
  {
    Hdf5Edit edit(path);
    CHECK(edit.int_attr("f32", "crc32") == crc_of<float>(f32));
    CHECK(edit.int_attr("g/transposed", "crc32") == crc_of<double>(transposed));  // of the row-major bytes
    CHECK(edit.int_attr("scalar", "crc32") == crc_of<int64_t>(scalar));
    CHECK(edit.int_attr("empty", "crc32") == 0);
  }
  Hdf5File f = Hdf5File::open(path);
  for (const std::string& name : f.list()) CHECK(f.has_checksum(name));
  CHECK(f.read("g/transposed").to_vector<double>() == std::vector<double>{1, 4, 2, 5, 3, 6});
}

TEST_CASE("a changed byte fails the checksum, naming the file and the dataset", "[hdf5][checksum]") {
  TempDir tmp("hdf5_crc_flip");
  std::string path = tmp.file("flip.h5");
  {
    Hdf5File f = Hdf5File::create(path);
    f.write("params/w", Tensor::from(std::vector<float>(16, 0.25f), {16}));
    f.write("params/b", Tensor::from(std::vector<float>(4, 1.f), {4}));
  }
  haddr_t at = Hdf5Edit(path).offset("params/w");
  flip_byte(path, static_cast<std::streamoff>(at + 5));
  Hdf5File f = Hdf5File::open(path);
  REQUIRE_THROWS_WITH(f.read("params/w"), Contains("hdf5: " + path + ": dataset 'params/w' fails its checksum (stored crc32 ") &&
                                              Contains("): the file is corrupt"));
  CHECK(f.read("params/b").to_vector<float>() == std::vector<float>(4, 1.f));
}

TEST_CASE("datasets without a crc32 (older files, PyTorch fixtures) still read", "[hdf5][checksum]") {
  TempDir tmp("hdf5_crc_none");
  std::string path = tmp.file("old.h5");
  {
    Hdf5File f = Hdf5File::create(path);
    f.write("w", Tensor::from({1, 2, 3}, {3}));
  }
  Hdf5Edit(path).remove_attr("w", "crc32");
  Hdf5File f = Hdf5File::open(path);
  CHECK_FALSE(f.has_checksum("w"));
  CHECK(f.read("w").to_vector<float>() == std::vector<float>{1, 2, 3});

  Hdf5File fixture = Hdf5File::open((fs::path(__FILE__).parent_path() / "fixtures" / "gpt.h5").string());
  std::string first = fixture.list().front();
  CHECK_FALSE(fixture.has_checksum(first));
  CHECK(fixture.read(first).numel() > 0);
  REQUIRE_THROWS_WITH(fixture.has_checksum("nothing"), Contains("no dataset 'nothing'"));
}

TEST_CASE("a dataspace larger than the file is refused before anything is allocated", "[hdf5]") {
  TempDir tmp("hdf5_huge");
  std::string path = tmp.file("huge.h5");
  {
    Hdf5File f = Hdf5File::create(path);
    f.write("small", Tensor::from({1, 2}, {2}));
  }
  {
    Hdf5Edit edit(path);
    edit.put("huge", H5T_IEEE_F32LE, {hsize_t{1} << 60});  // claims 4 EiB, holds nothing
    edit.put("overflowing", H5T_IEEE_F64LE, {hsize_t{1} << 40, hsize_t{1} << 40});
  }
  Hdf5File f = Hdf5File::open(path);
  REQUIRE_THROWS_WITH(f.read("huge"), Contains("hdf5: " + path + ": dataset 'huge' claims shape [1152921504606846976] of "
                                               "float32, more than the file's ") &&
                                          Contains(" bytes hold"));
  REQUIRE_THROWS_WITH(f.read("overflowing"), Contains("claims shape [1099511627776,1099511627776] of float64"));
  CHECK(f.read("small").to_vector<float>() == std::vector<float>{1, 2});
}
