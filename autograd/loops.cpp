#include "autograd/loops.h"

namespace qkv {

Dims broadcast_strides(const Tensor& t, const Dims& shape, const char* op) {
  int r = shape.size(), lead = r - t.dim();
  QKV_CHECK(lead >= 0, "{}: cannot broadcast {} to {}", op, t.shape().str(), shape.str());
  Dims s;
  s.resize(r, 0);
  for (int i = 0; i < t.dim(); ++i) {
    int64_t have = t.shape()[i], want = shape[lead + i];
    if (have == want) {
      s[lead + i] = t.strides()[i];
    } else {
      QKV_CHECK(have == 1, "{}: cannot broadcast {} to {}", op, t.shape().str(), shape.str());
    }
  }
  return s;
}

}  // namespace qkv
