// bench_sgemm: qkv's own AVX-512 sgemm (cpu/sgemm.h) against OpenBLAS's cblas_sgemm
// on every GEMM of a training step of the three benchmark models: for each Linear shape
// (in -> out) over M = batch x positions rows, the forward product X W^T, the input
// gradient dY W and the weight gradient dY^T X. Interleaved medians on the same buffers,
// at the OpenMP thread count given (default 2). The last column says which of the two
// matmul calls (own_sgemm_suits: up to 2^26 multiply-adds, 2^28 for a shallow k <= 256
// with A not transposed); this table is where that rule comes from. Prints Markdown; see bench/README.md. Not a test.
#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "autograd/autograd.h"
#include "cpu/blas_backend.h"
#include "cpu/sgemm.h"
#include "bench/timing.h"

using namespace qkv;

namespace {

struct Model {
  std::string name;
  int64_t rows;                                    // batch x positions
  std::vector<std::pair<int64_t, int64_t>> linears;  // (in, out) of each distinct Linear shape
};

struct Gemm {
  std::string what;
  int64_t m, k, n;
  bool trans_a, trans_b;
};

// The three products of a Linear in -> out over `rows` rows, as matmul hands them to BLAS.
std::vector<Gemm> products(int64_t rows, int64_t in, int64_t out) {
  const std::string shape = fmt::format("{}->{}", in, out);
  return {{shape + " forward X W^T", rows, in, out, false, true},
          {shape + " input grad dY W", rows, out, in, false, false},
          {shape + " weight grad dY^T X", out, rows, in, true, false}};
}

std::vector<float> random_floats(int64_t count, Generator& gen) { return randn({count}, gen).to_vector<float>(); }

void time_gemm(const std::string& model, const Gemm& g, Generator& gen) {
  const std::vector<float> a = random_floats(g.m * g.k, gen), b = random_floats(g.k * g.n, gen);
  std::vector<float> c(static_cast<size_t>(g.m * g.n));
  const int64_t lda = g.trans_a ? g.m : g.k, ldb = g.trans_b ? g.k : g.n;
  auto openblas = [&] {
    cblas_sgemm(CblasRowMajor, g.trans_a ? CblasTrans : CblasNoTrans, g.trans_b ? CblasTrans : CblasNoTrans, g.m, g.n,
                g.k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), g.n);
  };
  auto own = [&] { own_sgemm({a.data(), g.trans_a, lda}, {b.data(), g.trans_b, ldb}, c.data(), g.n, g.m, g.n, g.k, false); };
  const std::vector<double> t = bench::interleaved_medians({openblas, own}, 0.3);
  const double gflop = 2.0 * g.m * g.n * g.k * 1e-9;
  fmt::print("| {} | {} | {}x{}x{} | {:.1f} | {:.1f} | {:.2f} | {} |\n", model, g.what, g.m, g.k, g.n, gflop / t[0],
             gflop / t[1], t[0] / t[1], own_sgemm_suits(g.m, g.n, g.k, g.trans_a) ? "own" : "OpenBLAS");
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  if (!own_sgemm_available()) {
    fmt::print("this CPU has no AVX-512F: matmul uses OpenBLAS for every product, nothing to compare\n");
    return 0;
  }
  set_num_threads(threads);
  // The peer's models (docs/design.md section 8): gpt-tiny 12 x 64 rows, d 128, MLP 512, vocab
  // 65; gpt-small 16 x 256, d 384, MLP 1536, vocab 256; seq2seq 64 x 32, d 256, ff 1024,
  // vocab 8000.
  const std::vector<Model> models = {{"gpt-tiny", 12 * 64, {{128, 128}, {128, 512}, {512, 128}, {128, 65}}},
                                     {"gpt-small", 16 * 256, {{384, 384}, {384, 1536}, {1536, 384}, {384, 256}}},
                                     {"seq2seq", 64 * 32, {{256, 256}, {256, 1024}, {1024, 256}, {256, 8000}}}};
  fmt::print("{} threads, {}\n\n", threads, blas_backend_config());
  fmt::print("| model | product | MxKxN | OpenBLAS GFLOP/s | own GFLOP/s | own / OpenBLAS | matmul uses |\n");
  fmt::print("|---|---|---|---:|---:|---:|---|\n");
  Generator gen(1);
  for (const Model& model : models)
    for (const auto& [in, out] : model.linears)
      for (const Gemm& g : products(model.rows, in, out)) time_gemm(model.name, g, gen);
  return 0;
}
