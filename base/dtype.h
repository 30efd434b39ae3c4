// Element types a Tensor can hold, and the dispatch helpers that turn a runtime
// dtype into a template parameter for kernels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace qkv {

enum class DType : uint8_t { f32, f64, i32, i64 };

inline constexpr std::size_t dtype_size(DType t) {
  return (t == DType::f32 || t == DType::i32) ? 4 : 8;
}
inline constexpr bool is_floating(DType t) { return t == DType::f32 || t == DType::f64; }
inline constexpr std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "float32";
    case DType::f64: return "float64";
    case DType::i32: return "int32";
    case DType::i64: return "int64";
  }
  return "?";
}

template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::f32; }
template <> constexpr DType dtype_of<double>() { return DType::f64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::i32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::i64; }

// Calls fn.template operator()<T>() with T the C++ type of a floating dtype.
// Usage: dispatch_float(x.dtype(), "op", [&]<typename T>() { ... });
void throw_unsupported_dtype(const char* op, DType t, const char* expected);

template <typename Fn>
decltype(auto) dispatch_float(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::f32: return fn.template operator()<float>();
    case DType::f64: return fn.template operator()<double>();
    default: break;
  }
  throw_unsupported_dtype(op, t, "float32 or float64");
  return fn.template operator()<float>();  // unreachable
}

template <typename Fn>
decltype(auto) dispatch_int(DType t, const char* op, Fn&& fn) {
  switch (t) {
    case DType::i32: return fn.template operator()<int32_t>();
    case DType::i64: return fn.template operator()<int64_t>();
    default: break;
  }
  throw_unsupported_dtype(op, t, "int32 or int64");
  return fn.template operator()<int32_t>();  // unreachable
}

template <typename Fn>
decltype(auto) dispatch_all(DType t, Fn&& fn) {
  switch (t) {
    case DType::f32: return fn.template operator()<float>();
    case DType::f64: return fn.template operator()<double>();
    case DType::i32: return fn.template operator()<int32_t>();
    case DType::i64: break;
  }
  return fn.template operator()<int64_t>();
}

}  // namespace qkv
