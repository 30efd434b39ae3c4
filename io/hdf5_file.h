// Hdf5File: tensors in HDF5 files, for checkpoints (docs/design.md section 6) and the PyTorch
// fixtures of the parity tests. A thin RAII layer over the HDF5 C API: datasets at
// slash-separated paths whose names may hold dots ("params/blocks.0.attn.q_proj.weight"),
// and string / int64 attributes on the root or a group. Every failure is a qkv::Error
// naming the file and the dataset, e.g. "hdf5: ckpt.h5: no dataset 'params/foo'";
// HDF5's own error printing is switched off.
//
// Every dataset written gets an int64 attribute crc32: zlib's CRC-32 of its contiguous
// little-endian bytes, checked by read(). Not HDF5's Fletcher-32 filter: filters need a
// chunked layout, which 0-d scalars cannot have, and would change the layout h5py readers
// see; this is one mechanism for every dataset, and h5py users can check it with
// zlib.crc32(ds[()].tobytes()). Datasets without it (older files, PyTorch fixtures) read.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "autograd/tensor.h"

namespace qkv {

class Hdf5File {
 public:
  // An existing file, read-only. Throws when it is missing, not HDF5, or truncated.
  static Hdf5File open(const std::string& path);
  // A new empty file for writing; an existing file there is truncated. The content is
  // built in memory and written by close() (or the destructor) with plain POSIX writes, so
  // a full disk is an error naming the OS reason, never a failure inside HDF5 (whose
  // failed close leaves a freed file in its id table and crashes at exit, in HDF5 1.10).
  static Hdf5File create(const std::string& path);

  Hdf5File(Hdf5File&& other) noexcept;
  Hdf5File& operator=(Hdf5File&& other) noexcept;
  Hdf5File(const Hdf5File&) = delete;
  Hdf5File& operator=(const Hdf5File&) = delete;
  ~Hdf5File();  // closes quietly; call close() to see a failed write
  void close();

  const std::string& path() const { return path_; }

  // Writes t (any dtype, any strides; a 0-d tensor becomes a scalar dataset) at name,
  // creating the groups on the way, with its crc32. Writing over an existing dataset is an
  // error.
  void write(const std::string& name, const Tensor& t);
  // A float32 / float64 / int32 / int64 dataset as a new contiguous tensor of its shape.
  // Refuses a dataset larger than the file could hold (before allocating it) and one whose
  // crc32 does not match its bytes.
  Tensor read(const std::string& name) const;
  // Whether the dataset at name carries a crc32 (everything this class writes does).
  bool has_checksum(const std::string& name) const;
  // Whether a dataset or a group exists at name.
  bool has(const std::string& name) const;
  // Every dataset under group, recursively, as paths relative to it, sorted
  // (list("params") -> {"blocks.0.attn.q_proj.bias", ...}).
  std::vector<std::string> list(const std::string& group = "/") const;

  // Attributes of the root ("/") or of a group (created when writing, if missing).
  // Strings are written variable-length UTF-8, as h5py does; both forms are read.
  void set_attr(const std::string& key, const std::string& value, const std::string& group = "/");
  void set_attr(const std::string& key, int64_t value, const std::string& group = "/");
  bool has_attr(const std::string& key, const std::string& group = "/") const;
  std::string attr_string(const std::string& key, const std::string& group = "/") const;
  int64_t attr_int(const std::string& key, const std::string& group = "/") const;

 private:
  Hdf5File(std::string path, int64_t id, int fd) : path_(std::move(path)), id_(id), fd_(fd) {}
  int64_t open_group(const std::string& group, bool create) const;
  int64_t open_dataset(const std::string& name) const;
  void require_open(const std::string& what) const;
  void require_writable(const std::string& what) const;

  std::string path_;
  int64_t id_ = -1;  // the file's hid_t
  int fd_ = -1;      // the file on disk while writing (the HDF5 file is in memory); -1 read-only
};

}  // namespace qkv
