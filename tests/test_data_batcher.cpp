// The language-model batcher: x/y shifted by one, windows inside the stream, the same
// seed giving the same batches, and separate streams per split.
#include <catch2/catch.hpp>
#include <numeric>

#include "base/error.h"
#include "data/batcher.h"

using namespace qkv::data;
using Catch::Contains;

namespace {
std::vector<int32_t> iota_tokens(int n, int first) {
  std::vector<int32_t> t(n);
  std::iota(t.begin(), t.end(), first);
  return t;
}
}  // namespace

TEST_CASE("batcher: x and y are int64 [B,T], y is x shifted by one token", "[data]") {
  LMBatcher batcher(iota_tokens(50, 0), 3, 8);  // token value == its position
  qkv::Generator gen(1);
  LMBatch b = batcher.next(gen);
  CHECK(b.x.dtype() == qkv::DType::i64);
  CHECK(b.y.dtype() == qkv::DType::i64);
  CHECK(b.x.shape() == qkv::Dims{3, 8});
  CHECK(b.y.shape() == qkv::Dims{3, 8});
  std::vector<int64_t> x = b.x.to_vector<int64_t>(), y = b.y.to_vector<int64_t>();
  for (int r = 0; r < 3; ++r) {
    int64_t start = x[r * 8];
    CHECK(start >= 0);
    CHECK(start + 8 < 50);  // the target window fits too
    for (int t = 0; t < 8; ++t) {
      CHECK(x[r * 8 + t] == start + t);
      CHECK(y[r * 8 + t] == start + t + 1);
    }
  }
}

TEST_CASE("batcher: the documented offsets, and the same seed gives the same batches", "[data]") {
  LMBatcher batcher(iota_tokens(1000, 0), 4, 16);
  qkv::Generator a(1234), b(1234), c(99), reference(1234);
  for (int step = 0; step < 5; ++step) {
    LMBatch ba = batcher.next(a), bb = batcher.next(b), bc = batcher.next(c);
    CHECK(ba.x.to_vector<int64_t>() == bb.x.to_vector<int64_t>());
    CHECK(ba.y.to_vector<int64_t>() == bb.y.to_vector<int64_t>());
    CHECK(ba.x.to_vector<int64_t>() != bc.x.to_vector<int64_t>());
    for (int r = 0; r < 4; ++r)
      CHECK(ba.x.to_vector<int64_t>()[r * 16] == static_cast<int64_t>(reference.next_u64() % (1000 - 16)));
  }
}

TEST_CASE("batcher: every offset is reachable, a short stream is an error", "[data]") {
  LMBatcher batcher(iota_tokens(5, 0), 64, 4);  // one possible window: [0..4)
  qkv::Generator gen(3);
  std::vector<int64_t> x = batcher.next(gen).x.to_vector<int64_t>();
  for (size_t i = 0; i < x.size(); ++i) CHECK(x[i] == static_cast<int64_t>(i % 4));
  REQUIRE_THROWS_WITH(LMBatcher(iota_tokens(64, 0), 2, 64, "val"),
                      Contains("the val split has 64 tokens; block_size 64 needs at least 65"));
  REQUIRE_THROWS_WITH(LMBatcher(iota_tokens(64, 0), 0, 8), Contains("must be positive"));
}

TEST_CASE("batcher: train and validation batches come from their own streams", "[data]") {
  // Train tokens are 0..499, validation tokens 1000..1199: no batch mixes them.
  LMBatcher train(iota_tokens(500, 0), 8, 32, "train"), val(iota_tokens(200, 1000), 8, 32, "val");
  qkv::Generator gen(5);
  for (int step = 0; step < 20; ++step) {
    for (int64_t v : train.next(gen).y.to_vector<int64_t>()) CHECK(v < 500);
    for (int64_t v : val.next(gen).x.to_vector<int64_t>()) CHECK(v >= 1000);
  }
}
