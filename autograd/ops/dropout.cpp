#include "autograd/ops/dropout.h"

#include "autograd/dispatch.h"
#include "autograd/loops.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "base/batch_slice.h"
#include "base/keyed_random.h"
#include "cpu/kernels/dropout.h"

namespace qkv {

// p == 1 is rejected rather than returning zeros: the 1/(1-p) scale is undefined there
// and a layer that drops everything is a configuration mistake, not a model.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check_floating(x, "dropout");
  QKV_CHECK(p >= 0.0 && p < 1.0, "dropout: p must be in [0, 1), got {} (input {})", p, describe(x));
  if (!training || p == 0.0) return x;
  // mask = keep / (1 - p) with keep ~ Bernoulli(1 - p). One draw from the generator keys
  // the call and element i's uniform is a hash of (key, i): threads fill the mask in
  // parallel, the same generator state gives the same mask for any thread count, and the
  // generator moves on by exactly one draw per call (so a resumed run stays exact).
  // (Drawing every element from the generator serially took a fifth of a gpt-small step.)
  Tensor mask = Tensor::empty(x.shape(), x.dtype());
  const uint64_t key = gen.next_u64();
  const uint64_t threshold = drop_threshold(p);
  const uint64_t first = batch_slice_element_offset(mask.numel());  // a data-parallel rank's rows
  on_device(device_of("dropout", x), "dropout", [&](auto backend) {
    dispatch_float(x.dtype(), "dropout", [&]<typename T>() {
      dropout_mask(backend, mask.numel(), key, first, threshold, static_cast<T>(1.0 / (1.0 - p)), mask.data<T>());
    });
  });
  auto times = [](auto a, auto b) { return a * b; };
  Tensor out = binary_map(x, mask, "dropout", times);
  if (any_requires_grad(x))
    // out = x * mask, so d out / d x = mask (the saved one, scale included).
    record("dropout", out, [x, mask, times](const Tensor& g) {
      accumulate_grad(x, binary_map(g, mask, "dropout", times), "dropout");
    });
  return out;
}

}  // namespace qkv
