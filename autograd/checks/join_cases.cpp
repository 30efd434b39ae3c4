#include "autograd/checks/op_cases.h"

namespace qkv {

void add_join_cases(std::vector<OpCase>& out, Generator& gen) {}

}  // namespace qkv
