// The disk side of Hdf5File::create: HDF5 builds the file in memory (its core driver) and
// its bytes reach the disk through plain POSIX writes here. A full disk is then an errno
// ("File too large", "No space left on device") rather than a failure inside HDF5, whose
// failed H5Fclose (1.10) frees the file yet leaves its id registered, to crash at exit.
#pragma once
#include <cstdint>
#include <string>

namespace qkv {

// Writes the in-memory HDF5 file `file` (a hid_t opened with the core driver, no backing
// store) to fd, from its start: "" when done, else the reason (strerror of the failed write).
std::string write_in_memory_file(int64_t file, int fd);

}  // namespace qkv
