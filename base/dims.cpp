#include "base/dims.h"

#include "base/error.h"

namespace qkv {

Dims::Dims(std::initializer_list<int64_t> v) {
  for (int64_t x : v) push_back(x);
}

Dims::Dims(const std::vector<int64_t>& v) {
  for (int64_t x : v) push_back(x);
}

void Dims::push_back(int64_t x) {
  QKV_CHECK(n_ < kMaxDims, "tensor: at most {} dimensions are supported", kMaxDims);
  v_[n_++] = x;
}

void Dims::insert(int pos, int64_t x) {
  QKV_CHECK(n_ < kMaxDims, "tensor: at most {} dimensions are supported", kMaxDims);
  for (int i = n_; i > pos; --i) v_[i] = v_[i - 1];
  v_[pos] = x;
  ++n_;
}

void Dims::erase(int pos) {
  for (int i = pos; i + 1 < n_; ++i) v_[i] = v_[i + 1];
  --n_;
}

void Dims::resize(int n, int64_t fill) {
  QKV_CHECK(n <= kMaxDims, "tensor: at most {} dimensions are supported", kMaxDims);
  for (int i = n_; i < n; ++i) v_[i] = fill;
  n_ = n;
}

int64_t Dims::numel() const {
  int64_t p = 1;
  for (int64_t x : *this) p *= x;
  return p;
}

std::string Dims::str() const {
  std::string s = "[";
  for (int i = 0; i < n_; ++i) {
    if (i) s += ',';
    s += std::to_string(v_[i]);
  }
  return s + "]";
}

Dims contiguous_strides(const Dims& shape) {
  Dims s;
  s.resize(shape.size());
  int64_t acc = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op) {
  int n = std::max(a.size(), b.size());
  Dims out;
  out.resize(n);
  for (int i = 0; i < n; ++i) {
    int ia = i - (n - a.size()), ib = i - (n - b.size());
    int64_t da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
    if (da != db && da != 1 && db != 1)
      fail("{}: shapes cannot be broadcast: {} and {}", op, a.str(), b.str());
    out[i] = da == 1 ? db : da;
  }
  return out;
}

int wrap_dim(int64_t dim, int rank, const char* op) {
  int64_t d = dim < 0 ? dim + rank : dim;
  if (d < 0 || d >= std::max(rank, 1))
    fail("{}: dim {} is out of range for a tensor of rank {}", op, dim, rank);
  return static_cast<int>(d);
}

}  // namespace qkv
