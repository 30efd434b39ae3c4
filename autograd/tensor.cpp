#include "autograd/tensor.h"

#include <fmt/format.h>

#include "autograd/factory.h"
#include "autograd/ops/accumulate.h"
#include "autograd/tape.h"
#include "autograd/views.h"

namespace qkv {

std::string describe(const Tensor& t) {
  if (!t.defined()) return "undefined";
  return fmt::format("{}{}", dtype_name(t.dtype()), t.shape().str());
}

void check_floating(const Tensor& t, const char* op) {
  QKV_CHECK(t.defined(), "{}: input tensor is undefined", op);
  QKV_CHECK(t.is_floating_point(), "{}: expected a float32 or float64 tensor, got {}", op, describe(t));
}

void check_same_dtype(const Tensor& a, const Tensor& b, const char* op) {
  QKV_CHECK(a.dtype() == b.dtype(), "{}: dtypes differ: {} and {}", op, describe(a), describe(b));
}

Tensor Tensor::empty(const Dims& shape, DType dtype) {
  for (int64_t s : shape) QKV_CHECK(s >= 0, "empty: negative size in shape {}", shape.str());
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(std::max<int64_t>(shape.numel(), 1) * dtype_size(dtype));
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::from(std::initializer_list<double> values, const Dims& shape, DType dtype) {
  QKV_CHECK(static_cast<int64_t>(values.size()) == shape.numel(),
        "Tensor::from: {} values do not fill shape {}", values.size(), shape.str());
  Tensor t = empty(shape, dtype);
  dispatch_all(dtype, [&]<typename T>() {
    T* p = t.data<T>();
    for (double v : values) *p++ = static_cast<T>(v);
  });
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int i = dim() - 1; i >= 0; --i) {
    if (shape()[i] == 1) continue;
    if (strides()[i] != expected) return false;
    expected *= shape()[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  return static_cast<char*>(impl_->storage->data()) + impl_->offset * dtype_size(impl_->dtype);
}

Tensor& Tensor::requires_grad_(bool on) {
  QKV_CHECK(!on || is_floating_point(), "requires_grad_: only float tensors can require grad, got {}",
        describe(*this));
  QKV_CHECK(is_leaf(), "requires_grad_: only leaf tensors can change requires_grad; use detach()");
  impl_->requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return impl_->grad ? Tensor(impl_->grad) : Tensor(); }

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined())
    QKV_CHECK(g.shape() == shape() && g.dtype() == dtype(), "set_grad: gradient {} does not match tensor {}",
          describe(g), describe(*this));
  impl_->grad = g.impl_ptr();
  impl_->grad_owned = false;
}

void Tensor::zero_grad() const {
  impl_->grad.reset();
  impl_->grad_owned = false;
}

void Tensor::retain_grad() const { impl_->retains_grad = true; }

void Tensor::backward(const Tensor& grad_output) const {
  QKV_CHECK(defined(), "backward: tensor is undefined");
  QKV_CHECK(requires_grad(),
        "backward: tensor {} does not require grad (no input of the ops that made it requires "
        "grad, it was computed under NoGradGuard, or by a non-differentiable op)",
        describe(*this));
  Tensor g = grad_output;
  if (!g.defined()) {
    QKV_CHECK(numel() == 1, "backward: output {} is not a scalar; pass its gradient explicitly", describe(*this));
    g = ones(shape(), dtype());
  } else {
    QKV_CHECK(g.shape() == shape() && g.dtype() == dtype(),
          "backward: gradient {} does not match output {}", describe(g), describe(*this));
  }
  NoGradGuard no_grad;  // backward formulas are not themselves recorded
  if (is_leaf()) {
    accumulate_grad(*this, g, "backward");
    return;
  }
  Tape& t = tape();
  QKV_CHECK(impl_->tape_generation == t.generation() && impl_->tape_index < t.size(),
        "backward: the tape that recorded {} was already replayed and cleared; run the forward "
        "pass again before a second backward",
        describe(*this));
  accumulate_grad(*this, g, "backward");
  for (int64_t i = impl_->tape_index; i >= 0; --i) {
    TapeEntry& e = t[i];
    TensorImpl* out = e.output.impl();
    if (out->grad) {
      Tensor go(out->grad);
      profile::charge_tape();
      e.backward(go);
      profile::charge_backward(e.family, e.op);
      if (BackwardObserver* o = backward_observer()) o->entry_done();
      if (!out->retains_grad) {
        out->grad.reset();
        out->grad_owned = false;
      }
    }
    e.backward = nullptr;  // free what this entry saved as soon as it has run
    e.output = Tensor();
  }
  t.clear();
  profile::backward_end();
}

Tensor Tensor::detach() const { return as_strided(*this, shape(), strides(), offset()); }

Tensor Tensor::to(DType d) const { return to_dtype(*this, d); }
Tensor Tensor::contiguous() const { return qkv::contiguous(*this); }
Tensor Tensor::clone() const { return qkv::clone(*this); }

double Tensor::item() const {
  QKV_CHECK(numel() == 1, "item: tensor {} has {} elements, expected 1", describe(*this), numel());
  return dispatch_all(dtype(), [&]<typename T>() { return static_cast<double>(*data<T>()); });
}

template <typename T>
std::vector<T> Tensor::to_vector() const {
  std::vector<T> out(numel());
  Tensor dst = Tensor::empty(shape(), dtype_of<T>());
  copy_(dst, *this);
  std::copy(dst.data<T>(), dst.data<T>() + numel(), out.begin());
  return out;
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int32_t> Tensor::to_vector<int32_t>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;

Tensor Tensor::reshape(const Dims& s) const { return qkv::reshape(*this, s); }
Tensor Tensor::view(const Dims& s) const { return qkv::view(*this, s); }
Tensor Tensor::permute(const Dims& o) const { return qkv::permute(*this, o); }
Tensor Tensor::transpose(int64_t a, int64_t b) const { return qkv::transpose(*this, a, b); }
Tensor Tensor::slice(int64_t d, int64_t s, int64_t e, int64_t st) const { return qkv::slice(*this, d, s, e, st); }
Tensor Tensor::expand(const Dims& s) const { return qkv::expand(*this, s); }
Tensor Tensor::unsqueeze(int64_t d) const { return qkv::unsqueeze(*this, d); }
Tensor Tensor::squeeze(int64_t d) const { return qkv::squeeze(*this, d); }
Tensor Tensor::flatten(int64_t s, int64_t e) const { return qkv::flatten(*this, s, e); }

namespace {
// Nested-list printing like PyTorch: at most 3 leading and 3 trailing items per dim.
void print_rec(std::string& out, const std::vector<double>& v, const Dims& shape, int d, int64_t base,
               bool is_int) {
  if (d == shape.size()) {
    out += is_int ? fmt::format("{}", static_cast<int64_t>(v[base])) : fmt::format("{:.4f}", v[base]);
    return;
  }
  int64_t n = shape[d], stride = 1;
  for (int i = d + 1; i < shape.size(); ++i) stride *= shape[i];
  out += '[';
  for (int64_t i = 0; i < n; ++i) {
    if (n > 6 && i == 3) {
      out += "..., ";
      i = n - 3;
    }
    print_rec(out, v, shape, d + 1, base + i * stride, is_int);
    if (i + 1 < n) out += d + 1 == shape.size() ? ", " : ",\n ";
  }
  out += ']';
}
}  // namespace

std::string Tensor::str() const {
  if (!defined()) return "tensor(undefined)";
  std::string body;
  print_rec(body, to_vector<double>(), shape(), 0, 0, !is_floating_point());
  return fmt::format("tensor({}, shape={}, dtype={}{})", body, shape().str(), dtype_name(dtype()),
                     requires_grad() ? ", requires_grad" : "");
}

}  // namespace qkv
