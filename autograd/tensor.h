// Tensor: a cheap handle (shared_ptr) to a TensorImpl, which holds shared storage,
// shape, strides, offset and dtype, plus the autograd bookkeeping: whether it
// requires grad, its accumulated .grad, and which tape entry produced it.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "cpu/allocator.h"
#include "base/dims.h"
#include "base/dtype.h"
#include "base/error.h"

namespace qkv {

class Tensor;

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Dims shape;
  Dims strides;         // in elements
  int64_t offset = 0;   // in elements, from the start of storage
  DType dtype = DType::f32;

  bool requires_grad = false;
  bool retains_grad = false;         // keep .grad on a non-leaf after backward
  bool grad_owned = false;           // .grad's storage is ours to add into in place
  std::shared_ptr<TensorImpl> grad;  // accumulated gradient (same shape and dtype)
  int64_t tape_index = -1;           // entry that produced this tensor; -1 for a leaf
  uint64_t tape_generation = 0;      // which tape (cleared tapes bump it)
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Uninitialised contiguous tensor from the caching allocator.
  static Tensor empty(const Dims& shape, DType dtype = DType::f32);
  // A contiguous tensor holding a copy of `values`, e.g. Tensor::from({1, 2, 3, 4}, {2, 2}).
  template <typename T>
  static Tensor from(const std::vector<T>& values, const Dims& shape);
  static Tensor from(std::initializer_list<double> values, const Dims& shape,
                     DType dtype = DType::f32);
  static Tensor scalar(double value, DType dtype = DType::f32);

  bool defined() const { return impl_ != nullptr; }
  const Dims& shape() const { return impl_->shape; }
  const Dims& strides() const { return impl_->strides; }
  int64_t offset() const { return impl_->offset; }
  DType dtype() const { return impl_->dtype; }
  int dim() const { return impl_->shape.size(); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t stride(int64_t d) const;
  int64_t numel() const { return impl_->shape.numel(); }
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }

  // Pointer to the first element (storage + offset); checks that T matches the dtype.
  template <typename T>
  T* data() const;
  void* raw_data() const;
  const std::shared_ptr<Storage>& storage() const { return impl_->storage; }
  Device device() const { return impl_->storage->device(); }  // where the storage lives

  // --- autograd ---
  bool requires_grad() const { return impl_ && impl_->requires_grad; }
  // Marks a leaf as a variable whose gradient is accumulated in .grad (floating dtypes only).
  Tensor& requires_grad_(bool on = true);
  Tensor grad() const;  // undefined until backward reaches this tensor
  void set_grad(const Tensor& g) const;
  void zero_grad() const;  // drops .grad (PyTorch's set_to_none)
  bool is_leaf() const { return impl_->tape_index < 0; }
  void retain_grad() const;
  // Replays the tape from this tensor: a scalar, or any shape with an explicit gradient.
  void backward(const Tensor& grad_output = Tensor()) const;
  // Same storage, no history, does not require grad.
  Tensor detach() const;

  // --- conversions ---
  Tensor to(DType dtype) const;   // differentiable between float dtypes
  Tensor contiguous() const;      // itself when already contiguous, else a differentiable copy
  Tensor clone() const;           // always a new contiguous copy (differentiable)
  double item() const;            // the value of a one-element tensor
  template <typename T>
  std::vector<T> to_vector() const;  // elements in row-major order, converted to T

  // --- views (share storage; see views.h for the free functions) ---
  Tensor reshape(const Dims& shape) const;
  Tensor view(const Dims& shape) const;
  Tensor permute(const Dims& order) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor expand(const Dims& shape) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;

  std::string str() const;  // values, shape and dtype, formatted with fmt
  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

// "float32[4,8]": used in error messages.
std::string describe(const Tensor& t);

// Throws "op: expected <what>, got float32[...]" unless t is defined and floating.
void check_floating(const Tensor& t, const char* op);
void check_same_dtype(const Tensor& a, const Tensor& b, const char* op);

template <typename T>
T* Tensor::data() const {
  if (dtype_of<T>() != impl_->dtype)
    fail("data: tensor is {}, accessed as {}", dtype_name(impl_->dtype), dtype_name(dtype_of<T>()));
  return static_cast<T*>(impl_->storage->data()) + impl_->offset;
}

template <typename T>
Tensor Tensor::from(const std::vector<T>& values, const Dims& shape) {
  QKV_CHECK(static_cast<int64_t>(values.size()) == shape.numel(),
        "Tensor::from: {} values do not fill shape {}", values.size(), shape.str());
  Tensor t = empty(shape, dtype_of<T>());
  std::copy(values.begin(), values.end(), t.data<T>());
  return t;
}

}  // namespace qkv
