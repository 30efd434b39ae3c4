#include "dist/communicator.h"

#include <cstdlib>

#include "base/error.h"

#ifdef QKV_MPI
#include <mpi.h>
#endif

namespace qkv::dist {

#ifdef QKV_MPI

struct Communicator::Impl {
  MPI_Comm comm = MPI_COMM_NULL;
  std::vector<MPI_Request> requests;
};

namespace {

bool mpi_running() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  fail("mpi: {} failed: {}", what, std::string(text, static_cast<size_t>(length)));
}

}  // namespace

Communicator& Communicator::world() {
  static Communicator c = [] {
    if (!mpi_running()) return Communicator(0, 1, 1, std::make_unique<Impl>());
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    auto impl = std::make_unique<Impl>();
    impl->comm = MPI_COMM_WORLD;
    int local = 1;
    MPI_Comm node;  // the ranks that share this machine's memory
    if (MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) == MPI_SUCCESS) {
      MPI_Comm_size(node, &local);
      MPI_Comm_free(&node);
    }
    return Communicator(rank, size, local, std::move(impl));
  }();
  return c;
}

void Communicator::sum(float* v, size_t n) {
  if (size_ > 1) check(MPI_Allreduce(MPI_IN_PLACE, v, static_cast<int>(n), MPI_FLOAT, MPI_SUM, impl_->comm), "allreduce");
}
void Communicator::sum(double* v, size_t n) {
  if (size_ > 1) check(MPI_Allreduce(MPI_IN_PLACE, v, static_cast<int>(n), MPI_DOUBLE, MPI_SUM, impl_->comm), "allreduce");
}
void Communicator::min(int64_t* v, size_t n) {
  if (size_ > 1) check(MPI_Allreduce(MPI_IN_PLACE, v, static_cast<int>(n), MPI_INT64_T, MPI_MIN, impl_->comm), "allreduce");
}
void Communicator::max(int64_t* v, size_t n) {
  if (size_ > 1) check(MPI_Allreduce(MPI_IN_PLACE, v, static_cast<int>(n), MPI_INT64_T, MPI_MAX, impl_->comm), "allreduce");
}

std::vector<uint64_t> Communicator::gather(uint64_t value) {
  std::vector<uint64_t> all(static_cast<size_t>(size_), value);
  if (size_ > 1) check(MPI_Allgather(&value, 1, MPI_UINT64_T, all.data(), 1, MPI_UINT64_T, impl_->comm), "allgather");
  return all;
}

void Communicator::broadcast(std::string& text, int root) {
  if (size_ == 1) return;
  uint64_t length = text.size();
  check(MPI_Bcast(&length, 1, MPI_UINT64_T, root, impl_->comm), "broadcast");
  text.resize(length);
  check(MPI_Bcast(text.data(), static_cast<int>(length), MPI_CHAR, root, impl_->comm), "broadcast");
}

void Communicator::barrier() {
  if (size_ > 1) check(MPI_Barrier(impl_->comm), "barrier");
}

void Communicator::start_sum(float* v, size_t n) {
  if (size_ == 1) return;
  MPI_Request request;
  check(MPI_Iallreduce(MPI_IN_PLACE, v, static_cast<int>(n), MPI_FLOAT, MPI_SUM, impl_->comm, &request), "iallreduce");
  impl_->requests.push_back(request);
}

bool Communicator::busy() const { return !impl_->requests.empty(); }

void Communicator::progress() {
  if (impl_->requests.empty()) return;
  int done = 0;
  check(MPI_Testall(static_cast<int>(impl_->requests.size()), impl_->requests.data(), &done, MPI_STATUSES_IGNORE),
        "testall");
  if (done) impl_->requests.clear();
}

void Communicator::wait_all() {
  if (impl_->requests.empty()) return;
  check(MPI_Waitall(static_cast<int>(impl_->requests.size()), impl_->requests.data(), MPI_STATUSES_IGNORE), "waitall");
  impl_->requests.clear();
}

Session::Session(int& argc, char**& argv) {
  if (!launched_by_mpi()) return;
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  // Errors come back as codes (turned into qkv::Error) rather than aborting inside MPI.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

Session::~Session() {
  if (mpi_running()) MPI_Finalize();
}

void abort_job(int code) {
  if (mpi_running() && Communicator::world().size() > 1) MPI_Abort(MPI_COMM_WORLD, code);
}

#else  // built without MPI: one rank, every collective a local no-op

struct Communicator::Impl {};

Communicator& Communicator::world() { return self(); }
void Communicator::sum(float*, size_t) {}
void Communicator::sum(double*, size_t) {}
void Communicator::min(int64_t*, size_t) {}
void Communicator::max(int64_t*, size_t) {}
std::vector<uint64_t> Communicator::gather(uint64_t value) { return {value}; }
void Communicator::broadcast(std::string&, int) {}
void Communicator::barrier() {}
void Communicator::start_sum(float*, size_t) {}
bool Communicator::busy() const { return false; }
void Communicator::progress() {}
void Communicator::wait_all() {}
Session::Session(int&, char**&) {
  QKV_CHECK(!launched_by_mpi(),
            "this qkv was built without MPI, so it cannot run under mpirun or srun (install libopenmpi-dev and "
            "rebuild: scripts/setup.sh, scripts/build.sh)");
}
Session::~Session() = default;
void abort_job(int) {}

#endif

Communicator& Communicator::self() {
  static Communicator c(0, 1, 1, std::make_unique<Impl>());
  return c;
}

Communicator::Communicator(int rank, int size, int local_size, std::unique_ptr<Impl> impl)
    : rank_(rank), size_(size), local_size_(local_size), impl_(std::move(impl)) {}
Communicator::~Communicator() = default;

bool launched_by_mpi() {
  // OpenMPI's mpirun; PMIx (srun --mpi=pmix, newer mpirun); PMI-1/2 (srun --mpi=pmi2).
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(var) != nullptr) return true;
  return false;
}

}  // namespace qkv::dist
