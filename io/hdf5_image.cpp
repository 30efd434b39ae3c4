#include "io/hdf5_image.h"

#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace qkv {
namespace {

// Writes all of data to fd; 0, or the errno of the write that failed.
int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, std::min<size_t>(size, size_t{1} << 30));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return n < 0 ? errno : EIO;
    data += n;
    size -= n;
  }
  return 0;
}

}  // namespace

// Straight from the core driver's buffer (H5Fget_vfd_handle gives it), not from
// H5Fget_file_image's copy, which would cost a second checkpoint-sized buffer and a pass
// over it. That copy differs only in the superblock's consistency flags (bytes 20-23 of a
// version 0 superblock, set while the file is open for writing), cleared here as it does.
std::string write_in_memory_file(int64_t file, int fd) {
  constexpr size_t kFlags = 20, kHead = 24;
  static const unsigned char kSignature[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
  if (H5Fflush(file, H5F_SCOPE_LOCAL) < 0) return "HDF5 could not flush it";
  ssize_t size = H5Fget_file_image(file, nullptr, 0);  // up to the end of allocated space
  unsigned char** memory = nullptr;
  if (size < ssize_t{kHead} || H5Fget_vfd_handle(file, H5P_DEFAULT, reinterpret_cast<void**>(&memory)) < 0 ||
      !memory || !*memory || std::memcmp(*memory, kSignature, 8) != 0 || (*memory)[8] != 0)
    return "HDF5's in-memory image is not the version 0 superblock expected";
  unsigned char head[kHead];
  std::memcpy(head, *memory, kHead);
  std::memset(head + kFlags, 0, kHead - kFlags);
  int error = write_all(fd, reinterpret_cast<const char*>(head), kHead);
  if (!error) error = write_all(fd, reinterpret_cast<const char*>(*memory) + kHead, size - kHead);
  return error ? std::strerror(error) : "";
}

}  // namespace qkv
