#include "base/dtype.h"

#include "base/error.h"

namespace qkv {

void throw_unsupported_dtype(const char* op, DType t, const char* expected) {
  fail("{}: expected {}, got {}", op, expected, dtype_name(t));
}

}  // namespace qkv
