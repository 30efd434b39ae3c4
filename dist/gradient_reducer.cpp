#include "dist/gradient_reducer.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/error.h"

namespace qkv::dist {

GradientReducer::GradientReducer(Communicator& comm, std::vector<Tensor> params, std::vector<std::string> names,
                                 int64_t bucket_bytes)
    : comm_(comm), params_(std::move(params)), names_(std::move(names)) {
  const int64_t n = static_cast<int64_t>(params_.size());
  slots_.resize(static_cast<size_t>(n));
  // Backward finishes the last layers first: buckets are filled from the last parameter.
  for (int64_t p = n - 1; p >= 0; --p) {
    const Tensor& t = params_[static_cast<size_t>(p)];
    QKV_CHECK(t.dtype() == DType::f32, "data-parallel: parameter {} is {}, expected float32", names_[p], describe(t));
    if (buckets_.empty() || static_cast<int64_t>(buckets_.back().buffer.size()) * 4 >= bucket_bytes)
      buckets_.emplace_back();
    Bucket& b = buckets_.back();
    slots_[static_cast<size_t>(p)] = {static_cast<int64_t>(buckets_.size()) - 1, static_cast<int64_t>(b.buffer.size()),
                                      t.numel()};
    b.params.push_back(p);
    b.buffer.resize(b.buffer.size() + static_cast<size_t>(t.numel()));
    index_[t.impl()] = p;
  }
  received_.assign(static_cast<size_t>(n), 0);
  copied_.assign(static_cast<size_t>(n), 0);
}

GradientReducer::~GradientReducer() {
  if (active_) set_backward_observer(nullptr);
}

void GradientReducer::begin() {
  std::fill(received_.begin(), received_.end(), 0);
  std::fill(copied_.begin(), copied_.end(), 0);
  for (Bucket& b : buckets_) b.waiting = static_cast<int64_t>(b.params.size());
  next_bucket_ = 0;
  active_ = true;
  set_backward_observer(this);
  // A parameter this graph never reaches is final before backward starts: without this its
  // bucket, and every later one, would wait for the end.
  for (size_t p = 0; p < expected_.size(); ++p)
    if (expected_[p] == 0) finished(static_cast<int64_t>(p));
}

void GradientReducer::leaf_gradient(TensorImpl* leaf) {
  auto it = index_.find(leaf);
  if (it == index_.end() || expected_.empty()) {
    if (it != index_.end()) ++received_[static_cast<size_t>(it->second)];
    return;
  }
  const auto p = static_cast<size_t>(it->second);
  ++received_[p];
  QKV_CHECK(received_[p] <= expected_[p],
            "data-parallel: parameter {} received {} gradient contributions in this backward, the first step had {}: "
            "its bucket was already being averaged (the model's graph changed between steps)",
            names_[p], received_[p], expected_[p]);
  if (received_[p] == expected_[p]) finished(it->second);
}

void GradientReducer::entry_done() {
  if (comm_.busy()) comm_.progress();
}

void GradientReducer::copy_in(size_t p) {
  const Slot& s = slots_[p];
  float* dst = buckets_[static_cast<size_t>(s.bucket)].buffer.data() + s.offset;
  const Tensor grad = params_[p].grad();
  if (grad.defined()) {
    const Tensor g = grad.is_contiguous() ? grad : grad.contiguous();
    std::memcpy(dst, g.data<float>(), static_cast<size_t>(s.numel) * sizeof(float));
  } else {
    std::memset(dst, 0, static_cast<size_t>(s.numel) * sizeof(float));  // no gradient on any rank: zeros
  }
  copied_[p] = 1;
}

void GradientReducer::finished(int64_t param) {
  const auto p = static_cast<size_t>(param);
  copy_in(p);
  --buckets_[static_cast<size_t>(slots_[p].bucket)].waiting;
  start_ready_buckets();
}

void GradientReducer::start_ready_buckets() {
  while (next_bucket_ < buckets_.size() && buckets_[next_bucket_].waiting == 0) start_bucket(buckets_[next_bucket_++]);
}

void GradientReducer::start_bucket(Bucket& b) { comm_.start_sum(b.buffer.data(), b.buffer.size()); }

void GradientReducer::end() {
  const auto t0 = std::chrono::steady_clock::now();
  started_in_backward_ = static_cast<int64_t>(next_bucket_);
  set_backward_observer(nullptr);
  active_ = false;
  if (expected_.empty()) expected_ = received_;  // the first step: learn the counts
  for (; next_bucket_ < buckets_.size(); ++next_bucket_) {
    Bucket& b = buckets_[next_bucket_];
    for (int64_t p : b.params)
      if (!copied_[static_cast<size_t>(p)]) copy_in(static_cast<size_t>(p));
    start_bucket(b);
  }
  comm_.wait_all();
  for (size_t p = 0; p < params_.size(); ++p) {
    Tensor grad = params_[p].grad();
    if (!grad.defined()) continue;  // no gradient on any rank: stays without one
    const Slot& s = slots_[p];
    QKV_CHECK(grad.is_contiguous(), "data-parallel: the gradient of {} is not contiguous", names_[p]);
    std::memcpy(grad.data<float>(), buckets_[static_cast<size_t>(s.bucket)].buffer.data() + s.offset,
                static_cast<size_t>(s.numel) * sizeof(float));
  }
  exposed_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace qkv::dist
