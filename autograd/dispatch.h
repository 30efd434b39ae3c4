// The one place that routes an op's arithmetic to a backend's kernels (in the spirit of
// Marian's tensors/dispatch.h). An op checks its operands' device and calls its kernels
// through a backend tag:
//
//   on_device(device_of(op, x, weight), op, [&](auto backend) {
//     layer_norm_forward(backend, rows, cols, ...);   // raw pointers, sizes, strides
//   });
//
// The kernel is found by argument-dependent lookup in the namespace of the tag's type:
// qkv::cpu (cpu/kernels/) for Device::cpu, the only device today. A second backend adds its
// Device value (base/device.h), a folder of kernels with the same names and signatures in
// its own namespace taking its own tag, and one case below; the ops stay as they are.
#pragma once
#include "autograd/tensor.h"
#include "base/device.h"
#include "cpu/kernels/backend.h"

namespace qkv {

[[noreturn]] void fail_mixed_devices(const char* op, const Tensor& a, const Tensor& b);
[[noreturn]] void fail_no_kernels(const char* op, Device device);

// The device of `first`, checked against every other defined tensor given.
template <typename... Rest>
Device device_of([[maybe_unused]] const char* op, const Tensor& first, const Rest&... rest) {
  const Device device = first.device();
  ((rest.defined() && rest.device() != device ? fail_mixed_devices(op, first, rest) : void()), ...);
  return device;
}

// fn(tag) with the tag of the backend that holds `device`'s kernels.
template <typename Fn>
decltype(auto) on_device(Device device, const char* op, Fn&& fn) {
  switch (device) {
    case Device::cpu: return fn(cpu::Backend{});
  }
  fail_no_kernels(op, device);
}

}  // namespace qkv
