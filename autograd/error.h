// The one exception type of qkv: a message that names the op and the shapes involved,
// e.g. "matmul: inner dimensions differ: [4,8] x [7,3]".
#pragma once
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace qkv {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> f, Args&&... args) {
  throw Error(fmt::format(f, std::forward<Args>(args)...));
}

// check(cond, "op: what was expected {}", x) throws qkv::Error when cond is false.
template <typename... Args>
void check(bool cond, fmt::format_string<Args...> f, Args&&... args) {
  if (!cond) throw Error(fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace qkv
