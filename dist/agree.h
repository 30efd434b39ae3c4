// Failing together. A check that fails on one rank of a data-parallel job must stop every
// rank with one error line, not leave the others waiting in a collective forever. Work
// that involves no collective runs inside agree(): if it throws on any rank, every rank
// throws AgreedError with the message of the lowest failing rank, and main() prints it
// once (rank 0) and exits 2 on every rank. Any other error on a rank aborts the job.
#pragma once
#include <functional>
#include <string>

#include "base/error.h"
#include "dist/communicator.h"

namespace qkv::dist {

// An error every rank of the job raised at the same point, with the same message.
class AgreedError : public Error {
 public:
  using Error::Error;
};

// Runs `local_work` (it must make no collective call), then agrees on the outcome. With
// one rank it just runs it: errors pass through unchanged.
void agree(Communicator& comm, const std::function<void()>& local_work);

// Throws the error on every rank: for a check whose inputs are already the same on every
// rank (a reduced loss, gathered checksums). With one rank, a plain qkv::Error.
template <typename... Args>
[[noreturn]] void fail_everywhere(const Communicator& comm, fmt::format_string<Args...> f, Args&&... args) {
  std::string message = fmt::format(f, std::forward<Args>(args)...);
  if (comm.size() > 1) throw AgreedError(message);
  throw Error(message);
}

}  // namespace qkv::dist
