// bench_attention: the attention core of one layer, fused (scaled_dot_attention) against
// the composed ops MultiHeadAttention used before (matmul, * scale, masked_fill, softmax,
// matmul), at gpt-small's shape: B 16, H 6, T = S 256, dh 64, causal, float32. Both go
// from split_heads' views of [B, T, H*dh] to merge_heads' [B, T, H*dh], as in the layer.
// Times forward + backward (grad recording on) and the forward alone without grad, at 1
// and 2 threads; prints the bytes each path holds between forward and backward (what the
// tape saved, plus the output). `bench_attention --peak fused|composed` runs one path's
// forward + backward once in a fresh process and prints the allocator's peak above what
// was in use before. Not a test: nothing is asserted. See bench/README.md.
#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "autograd/autograd.h"
#include "bench/timing.h"

using namespace qkv;

namespace {

constexpr int64_t B = 16, H = 6, T = 256, dh = 64;

Tensor split_heads(const Tensor& t) { return t.reshape({B, T, H, dh}).permute({0, 2, 1, 3}); }
Tensor merge_heads(const Tensor& t) { return t.permute({0, 2, 1, 3}).reshape({B, T, H * dh}); }

Tensor fused(const Tensor& q, const Tensor& k, const Tensor& v) {
  return merge_heads(scaled_dot_attention(q, k, v, 1.0 / std::sqrt(double(dh)), true));
}

Tensor composed(const Tensor& q, const Tensor& k, const Tensor& v) {
  Tensor scores = matmul(q, k.transpose(-2, -1)) * (1.0 / std::sqrt(double(dh)));
  scores = masked_fill(scores, causal_mask(T, T), -std::numeric_limits<double>::infinity());
  return merge_heads(matmul(softmax(scores, -1), v));
}

using Path = Tensor (*)(const Tensor&, const Tensor&, const Tensor&);

// q, k, v: [B, T, H*dh] leaves as the projections make them; grad: fed to backward.
struct Leaves {
  Tensor q, k, v, grad;
};

Leaves make_leaves() {
  Generator gen(3);
  Leaves l;
  for (Tensor* t : {&l.q, &l.k, &l.v}) *t = randn({B, T, H * dh}, gen).requires_grad_();
  l.grad = randn({B, T, H * dh}, gen);
  return l;
}

void forward_backward(const Leaves& l, Path path) {
  for (const Tensor& t : {l.q, l.k, l.v}) t.zero_grad();
  path(split_heads(l.q), split_heads(l.k), split_heads(l.v)).backward(l.grad);
}

void forward_only(const Leaves& l, Path path) {
  NoGradGuard no_grad;
  Tensor out = path(split_heads(l.q), split_heads(l.k), split_heads(l.v));
}

// Bytes in use after the forward (saved for backward, and the output), above before it.
int64_t held_after_forward(const Leaves& l, Path path) {
  for (const Tensor& t : {l.q, l.k, l.v}) t.zero_grad();
  const int64_t before = allocator::stats().bytes_in_use;
  Tensor out = path(split_heads(l.q), split_heads(l.k), split_heads(l.v));
  const int64_t held = allocator::stats().bytes_in_use - before;
  out.backward(l.grad);
  return held;
}

Path path_named(const std::string& name) {
  if (name == "fused") return fused;
  if (name == "composed") return composed;
  fail("bench_attention: --peak takes fused or composed, got '{}'", name);
}

}  // namespace

int main(int argc, char** argv) {
  const Leaves l = make_leaves();
  if (argc == 3 && std::strcmp(argv[1], "--peak") == 0) {
    const Path path = path_named(argv[2]);
    const int64_t before = allocator::stats().bytes_in_use;
    forward_backward(l, path);
    fmt::print("{}: peak {:.1f} MB above the {:.1f} MB in use before forward + backward\n", argv[2],
               (allocator::stats().peak_bytes_in_use - before) * 1e-6, before * 1e-6);
    return 0;
  }

  fmt::print("OPENBLAS_CORETYPE={}, OMP_NUM_THREADS={}, OMP_WAIT_POLICY={}; B {} H {} T=S {} dh {}, causal, "
             "float32\n\n",
             bench::env_or_unset("OPENBLAS_CORETYPE"), bench::env_or_unset("OMP_NUM_THREADS"),
             bench::env_or_unset("OMP_WAIT_POLICY"), B, H, T, dh);
  fmt::print("| pass | threads | composed ms | fused ms | speedup |\n|---|---|---|---|---|\n");
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    auto both =
        bench::interleaved_medians({[&] { forward_backward(l, composed); }, [&] { forward_backward(l, fused); }});
    auto fwd = bench::interleaved_medians({[&] { forward_only(l, composed); }, [&] { forward_only(l, fused); }});
    fmt::print("| forward + backward | {} | {:.2f} | {:.2f} | {:.2f} |\n", threads, both[0] * 1e3, both[1] * 1e3,
               both[0] / both[1]);
    fmt::print("| forward, no grad | {} | {:.2f} | {:.2f} | {:.2f} |\n", threads, fwd[0] * 1e3, fwd[1] * 1e3,
               fwd[0] / fwd[1]);
  }
  fmt::print("\nHeld between forward and backward (saved tensors and the output): composed {:.1f} MB, "
             "fused {:.1f} MB\n",
             held_after_forward(l, composed) * 1e-6, held_after_forward(l, fused) * 1e-6);
  return 0;
}
