#include "autograd/dispatch.h"

namespace qkv {

void fail_mixed_devices(const char* op, const Tensor& a, const Tensor& b) {
  fail("{}: operands on different devices: {} on {}, {} on {}", op, describe(a), name_of(a.device()), describe(b),
       name_of(b.device()));
}

void fail_no_kernels(const char* op, Device device) {
  fail("{}: no kernels for device {}", op, name_of(device));
}

}  // namespace qkv
