#include "dist/agree.h"

#include <exception>

namespace qkv::dist {

void agree(Communicator& comm, const std::function<void()>& local_work) {
  if (comm.size() == 1) {
    local_work();
    return;
  }
  std::string message;
  bool failed = false;
  try {
    local_work();
  } catch (const std::exception& e) {
    message = e.what();
    failed = true;
  }
  int64_t first_failed = failed ? comm.rank() : comm.size();
  comm.min(&first_failed, 1);
  if (first_failed == comm.size()) return;
  comm.broadcast(message, static_cast<int>(first_failed));
  throw AgreedError(first_failed == 0 ? message : fmt::format("rank {}: {}", first_failed, message));
}

}  // namespace qkv::dist
