// Dims: a small fixed-capacity list of sizes or strides. Shapes are copied on every
// op, so they live inline (no heap allocation) rather than in a std::vector.
#pragma once
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

namespace qkv {

inline constexpr int kMaxDims = 8;

class Dims {
 public:
  Dims() = default;
  Dims(std::initializer_list<int64_t> v);
  explicit Dims(const std::vector<int64_t>& v);
  template <typename It>
  Dims(It first, It last) { for (; first != last; ++first) push_back(*first); }

  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  int64_t& operator[](int i) { return v_[i]; }
  int64_t operator[](int i) const { return v_[i]; }
  // Python-style index from the end: back(1) is the last entry.
  int64_t back(int k = 1) const { return v_[n_ - k]; }
  void push_back(int64_t x);
  void insert(int pos, int64_t x);
  void erase(int pos);
  void resize(int n, int64_t fill = 0);
  int64_t* begin() { return v_; }
  int64_t* end() { return v_ + n_; }
  const int64_t* begin() const { return v_; }
  const int64_t* end() const { return v_ + n_; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }

  int64_t numel() const;  // product of the entries (1 for an empty list)
  bool operator==(const Dims& o) const { return n_ == o.n_ && std::equal(begin(), end(), o.begin()); }
  bool operator!=(const Dims& o) const { return !(*this == o); }
  std::string str() const;  // "[4,8]"

 private:
  int64_t v_[kMaxDims] = {};
  int n_ = 0;
};

// Row-major (C-contiguous) strides for a shape.
Dims contiguous_strides(const Dims& shape);
// The NumPy broadcast of two shapes; throws naming `op` and both shapes if they clash.
Dims broadcast_shapes(const Dims& a, const Dims& b, const char* op);
// Normalises a possibly negative dim for a tensor of rank `rank`; throws naming `op`.
int wrap_dim(int64_t dim, int rank, const char* op);

}  // namespace qkv
