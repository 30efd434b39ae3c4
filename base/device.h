// Where a tensor's storage lives. cpu is the only device today. A second backend adds its
// value here, a folder of kernels beside cpu/kernels/, and one case in autograd/dispatch.h.
#pragma once
#include <cstdint>
#include <string_view>
#include <utility>

#include "base/names.h"

namespace qkv {

enum class Device : uint8_t { cpu };

template <>
struct EnumNames<Device> {
  static constexpr std::pair<Device, std::string_view> table[] = {{Device::cpu, "cpu"}};
};

}  // namespace qkv
