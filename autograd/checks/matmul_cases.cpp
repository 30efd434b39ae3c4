#include "autograd/checks/op_cases.h"

namespace qkv {

void add_matmul_cases(std::vector<OpCase>& out, Generator& gen) {}

}  // namespace qkv
