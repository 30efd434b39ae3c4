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

}  // namespace qkv

// QKV_CHECK(cond, "op: what was expected {}", x) throws qkv::Error when cond is false.
// A macro rather than a function so that the message's arguments (shape strings,
// describe(t)) are evaluated only on failure: a passing check in a hot path costs one branch.
#define QKV_CHECK(cond, ...)                       \
  do {                                             \
    if (!(cond)) [[unlikely]] ::qkv::fail(__VA_ARGS__); \
  } while (0)
