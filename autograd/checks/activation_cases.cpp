#include "autograd/checks/op_cases.h"

namespace qkv {

void add_activation_cases(std::vector<OpCase>& out, Generator& gen) {}

}  // namespace qkv
