#include "autograd/checks/op_cases.h"

namespace qkv {

void add_loss_cases(std::vector<OpCase>& out, Generator& gen) {}

}  // namespace qkv
