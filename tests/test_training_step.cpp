// A tiny model trained for a few steps through the whole core: the caching allocator
// reaches a steady state with no system allocations, and the same seed gives the
// same losses, bit for bit.
#include <catch2/catch.hpp>

#include "autograd/autograd.h"

using namespace qkv;

namespace {

struct TinyModel {
  Tensor emb, ln_w, ln_b, w1, b1, w2, b2;
  explicit TinyModel(uint64_t seed) {
    Generator gen(seed);
    auto param = [&](const Dims& s, double std) { return randn(s, gen, DType::f32, 0, std).requires_grad_(); };
    emb = param({17, 16}, 0.5);
    ln_w = ones({16}).requires_grad_();
    ln_b = zeros({16}).requires_grad_();
    w1 = param({32, 16}, 0.2);
    b1 = zeros({32}).requires_grad_();
    w2 = param({17, 32}, 0.2);
    b2 = zeros({17}).requires_grad_();
  }
  std::vector<Tensor> params() const { return {emb, ln_w, ln_b, w1, b1, w2, b2}; }

  // One SGD step on a fixed batch; returns the loss.
  float step(const Tensor& ids, const Tensor& targets) {
    Tensor h = layer_norm(embedding(emb, ids), ln_w, ln_b);            // [B,T,16]
    h = gelu(matmul(h, w1.transpose(0, 1)) + b1);                     // [B,T,32]
    Tensor logits = matmul(h, w2.transpose(0, 1)) + b2;               // [B,T,17]
    Tensor loss = cross_entropy(logits, targets);
    loss.backward();
    NoGradGuard no_grad;
    for (const Tensor& p : params()) {
      copy_(p, p - p.grad() * 0.1);
      p.zero_grad();
    }
    return static_cast<float>(loss.item());
  }
};

std::pair<Tensor, Tensor> batch(uint64_t seed) {
  Generator gen(seed);
  Tensor ids = Tensor::empty({4, 8}, DType::i64), targets = Tensor::empty({4, 8}, DType::i64);
  for (int64_t i = 0; i < 32; ++i) {
    ids.data<int64_t>()[i] = static_cast<int64_t>(gen.next_u64() % 17);
    targets.data<int64_t>()[i] = (ids.data<int64_t>()[i] + 1) % 17;  // learnable: next id
  }
  return {ids, targets};
}

}  // namespace

TEST_CASE("a steady training step makes no system allocation", "[allocator]") {
  TinyModel model(3);
  auto [ids, targets] = batch(5);
  for (int i = 0; i < 3; ++i) model.step(ids, targets);
  int64_t before = allocator::stats().system_allocs;
  int64_t hits_before = allocator::stats().cache_hits;
  float first = 0, last = 0;
  for (int i = 0; i < 20; ++i) {
    float l = model.step(ids, targets);
    if (i == 0) first = l;
    last = l;
  }
  CHECK(allocator::stats().system_allocs == before);
  CHECK(allocator::stats().cache_hits > hits_before);  // the steps did allocate, from the cache
  CHECK(last < first);                                  // and they did train
}

TEST_CASE("storage is 64-byte aligned, and 2 MiB aligned from 2 MiB up (huge pages)", "[allocator]") {
  auto address = [](const Tensor& t) { return reinterpret_cast<std::uintptr_t>(t.data<float>()); };
  // Below 2 MiB after rounding to a size class (1 MiB + 64 bytes lands in the 1.25 MiB class;
  // 2 MiB - 64 bytes would round up to 2 MiB).
  for (int64_t floats : {int64_t{1}, int64_t{1000}, int64_t{100000}, int64_t{(1 << 18) + 16}}) {
    REQUIRE(allocator::rounded_size(floats * sizeof(float)) < (std::size_t{2} << 20));
    CHECK(address(Tensor::empty({floats}, DType::f32)) % 64 == 0);
  }
  for (int64_t floats : {int64_t{1} << 19, int64_t{786432}, int64_t{3} << 20}) {
    Tensor big = Tensor::empty({floats}, DType::f32);
    CHECK(address(big) % (std::uintptr_t{2} << 20) == 0);
    fill_(big, 1.0);  // usable to its end
    CHECK(big.data<float>()[floats - 1] == 1.0f);
  }
}

TEST_CASE("the same seed gives the same losses bit for bit", "[determinism]") {
  auto run = [] {
    TinyModel model(11);
    std::vector<float> losses;
    for (int i = 0; i < 5; ++i) {
      auto [ids, targets] = batch(100 + i);
      losses.push_back(model.step(ids, targets));
    }
    return std::make_pair(losses, model.w1.to_vector<float>());
  };
  auto [losses_a, w_a] = run();
  auto [losses_b, w_b] = run();
  CHECK(losses_a == losses_b);
  CHECK(w_a == w_b);
  Generator g1(42), g2(42);
  CHECK(randn({1000}, g1).to_vector<float>() == randn({1000}, g2).to_vector<float>());
}

TEST_CASE("the allocator rounds sizes into classes and reuses freed blocks", "[allocator]") {
  CHECK(allocator::rounded_size(1) == 64);
  CHECK(allocator::rounded_size(1000) == 1024);
  CHECK(allocator::rounded_size(1025) == 1280);
  CHECK(allocator::rounded_size(5000) == 5120);
  {
    Tensor a = Tensor::empty({1000});
  }
  int64_t before = allocator::stats().system_allocs;
  Tensor b = Tensor::empty({1000});
  CHECK(allocator::stats().system_allocs == before);
}

// Shapes that vary a little between batches (seq2seq's skipped padding): a request may
// take a free block up to two classes larger, and a block that had to be made larger
// first returns the idle blocks of the classes just below it to the system.
TEST_CASE("the allocator serves varying sizes from neighbouring classes without hoarding", "[allocator]") {
  // Sizes far from every other test's, so only these blocks sit in these classes.
  constexpr int64_t kSmall = 9'000'000, kLarge = 11'000'000;  // floats: 36 MB and 44 MB, adjacent classes
  REQUIRE(allocator::rounded_size(kSmall * 4) < allocator::rounded_size(kLarge * 4));
  { Tensor large = Tensor::empty({kLarge}); }  // one large block, now idle in the cache
  AllocatorStats before = allocator::stats();
  { Tensor small = Tensor::empty({kSmall}); }  // served by the idle larger block
  CHECK(allocator::stats().system_allocs == before.system_allocs);
  { Tensor a = Tensor::empty({kLarge}); }  // the large block came back to its own class
  CHECK(allocator::stats().system_allocs == before.system_allocs);

  allocator::release_cached();
  { Tensor small = Tensor::empty({kSmall}); }  // an idle small block
  before = allocator::stats();
  { Tensor large = Tensor::empty({kLarge}); }  // cannot use it: made new, the small one freed
  CHECK(allocator::stats().system_allocs == before.system_allocs + 1);
  CHECK(allocator::stats().system_frees >= before.system_frees + 1);
}

TEST_CASE("the profiler charges every step's time to op families without changing the step", "[profile]") {
  auto [ids, targets] = batch(5);
  TinyModel plain(3), profiled(3);
  profile::set_enabled(true);
  profile::reset();
  for (int i = 0; i < 4; ++i) {
    const float expected = plain.step(ids, targets);
    profile::step_begin();
    {
      profile::Scope update(profile::Family::optimizer);  // as the trainer wraps its update
      CHECK(profiled.step(ids, targets) == expected);     // profiling changes no number
    }
    profile::step_end();
  }
  profile::Totals t = profile::totals();
  profile::set_enabled(false);
  REQUIRE(t.steps == 4);
  double sum = 0;
  for (double ms : t.family_ms) sum += ms;
  CHECK(sum == Approx(t.step_ms).epsilon(1e-6));  // every nanosecond lands somewhere
  // The whole step ran inside the optimizer scope, so the scope's family took everything
  // its ops did not: recorded ops inside a scope count as the scope's family.
  CHECK(t.family_ms[static_cast<int>(profile::Family::optimizer)] > 0);
  CHECK(t.family_ms[static_cast<int>(profile::Family::matmul)] == 0);

  // Without a scope, ops go to their own families.
  profile::set_enabled(true);
  profile::reset();
  profile::step_begin();
  profiled.step(ids, targets);
  profile::step_end();
  t = profile::totals();
  profile::set_enabled(false);
  CHECK(t.family_ms[static_cast<int>(profile::Family::matmul)] > 0);
  CHECK(t.family_ms[static_cast<int>(profile::Family::norm)] > 0);
  CHECK(t.family_ms[static_cast<int>(profile::Family::loss)] > 0);
  CHECK(profile::report().find("matmul") != std::string::npos);
}

TEST_CASE("op names map to the profiler's families", "[profile]") {
  using profile::Family;
  CHECK(profile::family_of("matmul") == Family::matmul);
  CHECK(profile::family_of("linear") == Family::matmul);
  CHECK(profile::family_of("gelu_mlp") == Family::matmul);
  CHECK(profile::family_of("scaled_dot_attention") == Family::attention);
  CHECK(profile::family_of("layer_norm") == Family::norm);
  CHECK(profile::family_of("rms_norm") == Family::norm);
  CHECK(profile::family_of("cross_entropy") == Family::loss);
  CHECK(profile::family_of("embedding") == Family::embedding);
  CHECK(profile::family_of("gelu") == Family::elementwise);
  CHECK(profile::family_of("permute") == Family::other);
}
