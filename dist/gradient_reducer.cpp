#include "dist/gradient_reducer.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "base/error.h"

namespace qkv::dist {

GradientReducer::GradientReducer(Communicator& comm, std::vector<Tensor> params, std::vector<std::string> names,
                                 int64_t bucket_bytes)
    : comm_(comm), params_(std::move(params)), names_(std::move(names)), bucket_bytes_(bucket_bytes) {
  const auto n = static_cast<int64_t>(params_.size());
  for (int64_t p = 0; p < n; ++p) {
    const Tensor& t = params_[static_cast<size_t>(p)];
    QKV_CHECK(t.dtype() == DType::f32, "data-parallel: parameter {} is {}, expected float32", names_[p], describe(t));
    index_[t.impl()] = p;
  }
  // Until the first step shows the order in which backward finishes the gradients, guess
  // the usual one: the last layers first.
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t p = 0; p < n; ++p) order[static_cast<size_t>(p)] = n - 1 - p;
  assign_buckets(order);
  received_.assign(static_cast<size_t>(n), 0);
  last_event_.assign(static_cast<size_t>(n), -1);
  copied_.assign(static_cast<size_t>(n), 0);
}

void GradientReducer::assign_buckets(const std::vector<int64_t>& order) {
  buckets_.clear();
  slots_.assign(params_.size(), Slot{});
  for (int64_t p : order) {
    const Tensor& t = params_[static_cast<size_t>(p)];
    const int64_t limit = buckets_.size() <= 1 ? first_bucket_bytes() : bucket_bytes_;
    if (buckets_.empty() || static_cast<int64_t>(buckets_.back().buffer.size() * sizeof(float)) >= limit)
      buckets_.emplace_back();
    Bucket& b = buckets_.back();
    slots_[static_cast<size_t>(p)] = {static_cast<int64_t>(buckets_.size()) - 1, static_cast<int64_t>(b.buffer.size()),
                                      t.numel()};
    b.params.push_back(p);
    b.buffer.resize(b.buffer.size() + static_cast<size_t>(t.numel()));
  }
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
  if (it == index_.end()) return;
  if (expected_.empty()) {  // the first step: count, and note when each gradient was last added to
    ++received_[static_cast<size_t>(it->second)];
    last_event_[static_cast<size_t>(it->second)] = events_++;
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
  if (expected_.empty()) learn_from_first_step();
}

// The counts to wait for, and buckets in the order backward finished the gradients (a
// parameter backward never reached first, as it is final from the start). The same graph
// on every rank gives every rank the same buckets. An untied LM head, say, is registered
// first but finished first, so it moves from the last bucket to the first.
void GradientReducer::learn_from_first_step() {
  expected_ = received_;
  std::vector<int64_t> order(params_.size());
  for (size_t p = 0; p < order.size(); ++p) order[p] = static_cast<int64_t>(p);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return last_event_[static_cast<size_t>(a)] < last_event_[static_cast<size_t>(b)];
  });
  assign_buckets(order);
}

}  // namespace qkv::dist
