#include "io/hdf5_file.h"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <limits>
#include <type_traits>
#include <utility>

#include "autograd/tape.h"
#include "cpu/checksum.h"
#include "io/hdf5_image.h"

namespace qkv {
namespace {

static_assert(std::is_same_v<hid_t, int64_t>, "Hdf5File stores a hid_t as int64_t");
// The crc32 is of the little-endian bytes; on this host those are the bytes in memory.
static_assert(std::endian::native == std::endian::little, "crc32 is computed over native bytes");

constexpr const char* kChecksum = "crc32";
// The in-memory file of create() grows in steps of this (address space; pages are touched
// only as they are written).
constexpr size_t kImageIncrement = size_t{16} << 20;

// Owns one HDF5 identifier and closes it with the matching H5?close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, -1)), close_(other.close_) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  bool valid() const { return id_ >= 0; }
  operator hid_t() const { return id_; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

template <typename... Args>
[[noreturn]] void fail_in(const std::string& path, fmt::format_string<Args...> f, Args&&... args) {
  fail("hdf5: {}: {}", path, fmt::format(f, std::forward<Args>(args)...));
}

// Our errors say what went wrong; HDF5's stack dumps on stderr would only add noise.
void silence_hdf5_errors() {
  static const bool silenced = [] { return H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr) >= 0; }();
  (void)silenced;
}

// "/params/x/" -> "params/x"; "/" -> "" (the root).
std::string clean(const std::string& name) {
  size_t b = name.find_first_not_of('/');
  if (b == std::string::npos) return "";
  size_t e = name.find_last_not_of('/');
  return name.substr(b, e - b + 1);
}

// "params" -> "/params", as errors about attributes show it.
std::string absolute(const std::string& group) { return fmt::format("/{}", clean(group)); }

hid_t file_type(DType t) {
  switch (t) {
    case DType::f32: return H5T_IEEE_F32LE;
    case DType::f64: return H5T_IEEE_F64LE;
    case DType::i32: return H5T_STD_I32LE;
    case DType::i64: return H5T_STD_I64LE;
  }
  return -1;
}

hid_t memory_type(DType t) {
  switch (t) {
    case DType::f32: return H5T_NATIVE_FLOAT;
    case DType::f64: return H5T_NATIVE_DOUBLE;
    case DType::i32: return H5T_NATIVE_INT32;
    case DType::i64: return H5T_NATIVE_INT64;
  }
  return -1;
}

// "float16", "uint8", "string", ...: for the error on an unsupported dataset type.
std::string describe_type(hid_t type) {
  size_t bits = 8 * H5Tget_size(type);
  switch (H5Tget_class(type)) {
    case H5T_FLOAT: return fmt::format("float{}", bits);
    case H5T_INTEGER: return fmt::format("{}int{}", H5Tget_sign(type) == H5T_SGN_NONE ? "u" : "", bits);
    case H5T_STRING: return "string";
    case H5T_ENUM: return "enum (h5py's bool?)";
    case H5T_COMPOUND: return "compound";
    default: return "an unsupported type";
  }
}

// The dtype a dataset's file type reads into without losing anything, if any.
bool dtype_for(hid_t type, DType& out) {
  size_t size = H5Tget_size(type);
  H5T_class_t cls = H5Tget_class(type);
  if (cls == H5T_FLOAT && (size == 4 || size == 8)) {
    out = size == 4 ? DType::f32 : DType::f64;
    return true;
  }
  if (cls == H5T_INTEGER && H5Tget_sign(type) == H5T_SGN_2 && (size == 4 || size == 8)) {
    out = size == 4 ? DType::i32 : DType::i64;
    return true;
  }
  return false;
}

// H5Lexists on "a/b/c" fails (rather than saying no) when "a" is missing, so walk it.
bool link_exists(hid_t loc, const std::string& name) {
  for (size_t pos = name.find('/');; pos = name.find('/', pos + 1)) {
    if (H5Lexists(loc, name.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

// H5I_DATASET, H5I_GROUP, ... or H5I_BADID when nothing is there.
H5I_type_t object_type(hid_t file, const std::string& name) {
  if (name.empty()) return H5I_GROUP;
  if (!link_exists(file, name)) return H5I_BADID;
  Handle obj(H5Oopen(file, name.c_str(), H5P_DEFAULT), H5Oclose);
  return obj.valid() ? H5Iget_type(obj) : H5I_BADID;
}

// Object creation without timestamps, so that writing the same content twice gives the
// same bytes.
Handle untimed(hid_t property_class) {
  Handle p(H5Pcreate(property_class), H5Pclose);
  H5Pset_obj_track_times(p, false);
  return p;
}

void collect_datasets(hid_t group, const std::string& prefix, std::vector<std::string>& out) {
  H5G_info_t info;
  if (H5Gget_info(group, &info) < 0) return;
  for (hsize_t i = 0; i < info.nlinks; ++i) {
    ssize_t len = H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, nullptr, 0, H5P_DEFAULT);
    if (len < 0) continue;
    std::string name(len, '\0');
    H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, i, name.data(), len + 1, H5P_DEFAULT);
    Handle obj(H5Oopen(group, name.c_str(), H5P_DEFAULT), H5Oclose);
    if (!obj.valid()) continue;  // a dangling soft or external link
    H5I_type_t type = H5Iget_type(obj);
    if (type == H5I_DATASET) out.push_back(prefix + name);
    if (type == H5I_GROUP) collect_datasets(obj, prefix + name + "/", out);
  }
}

// "[1152921504606846976,4]": a dataspace's shape, which may not fit Dims.
std::string shape_text(const hsize_t* dims, int rank) {
  std::string out = "[";
  for (int d = 0; d < rank; ++d) out.append(d ? "," : "").append(std::to_string(dims[d]));
  return out.append("]");
}

// zlib's CRC-32 of a tensor's contiguous bytes: what h5py users get from
// zlib.crc32(ds[()].tobytes()).
uint32_t checksum(const Tensor& contiguous) {
  return cpu::crc32(contiguous.raw_data(), static_cast<size_t>(contiguous.numel()) * dtype_size(contiguous.dtype()));
}

// A fresh scalar attribute `key` on `loc` (an old one of that name is replaced).
Handle new_attribute(hid_t loc, const std::string& key, hid_t type) {
  if (H5Aexists(loc, key.c_str()) > 0) H5Adelete(loc, key.c_str());
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  return Handle(H5Acreate2(loc, key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
}

bool write_int_attribute(hid_t loc, const std::string& key, int64_t value) {
  Handle attr = new_attribute(loc, key, H5T_STD_I64LE);
  return attr.valid() && H5Awrite(attr, H5T_NATIVE_INT64, &value) >= 0;
}

// The attribute `key` of the open object `loc`; throws naming the file when it is missing.
Handle open_attribute(hid_t loc, const std::string& key, const std::string& path, const std::string& where) {
  if (H5Aexists(loc, key.c_str()) <= 0) fail_in(path, "no attribute '{}' on '{}'", key, where);
  return Handle(H5Aopen(loc, key.c_str(), H5P_DEFAULT), H5Aclose);
}

int64_t read_int_attribute(hid_t loc, const std::string& key, const std::string& path, const std::string& where) {
  Handle attr = open_attribute(loc, key, path, where);
  Handle type(H5Aget_type(attr), H5Tclose);
  Handle space(H5Aget_space(attr), H5Sclose);
  if (H5Tget_class(type) != H5T_INTEGER || H5Sget_simple_extent_npoints(space) != 1)
    fail_in(path, "attribute '{}' on '{}' is not an integer", key, where);
  int64_t value = 0;
  if (H5Aread(attr, H5T_NATIVE_INT64, &value) < 0) fail_in(path, "cannot read attribute '{}' on '{}'", key, where);
  return value;
}

}  // namespace

Hdf5File Hdf5File::open(const std::string& path) {
  silence_hdf5_errors();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail_in(path, "no such file");
  htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) fail_in(path, "cannot read the file");
  if (is_hdf5 == 0) fail_in(path, "not an HDF5 file");
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) fail_in(path, "cannot open: truncated or corrupt HDF5 file");
  return Hdf5File(path, id, -1);  // read-only: nothing to write back
}

Hdf5File Hdf5File::create(const std::string& path) {
  silence_hdf5_errors();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail_in(path, "cannot create the file (does its folder exist?): {}", std::strerror(errno));
  Handle fcpl = untimed(H5P_FILE_CREATE);  // the root group's times
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
  H5Pset_fapl_core(fapl, kImageIncrement, false);  // in memory, no backing store
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, fapl);
  if (id < 0) {
    ::close(fd);
    fail_in(path, "HDF5 cannot create the file in memory");
  }
  return Hdf5File(path, id, fd);
}

Hdf5File::Hdf5File(Hdf5File&& other) noexcept
    : path_(std::move(other.path_)), id_(std::exchange(other.id_, -1)), fd_(std::exchange(other.fd_, -1)) {}

Hdf5File& Hdf5File::operator=(Hdf5File&& other) noexcept {
  std::swap(path_, other.path_);
  std::swap(id_, other.id_);
  std::swap(fd_, other.fd_);
  return *this;
}

Hdf5File::~Hdf5File() {
  try {
    close();
  } catch (const std::exception&) {  // quietly, as documented
  }
}

// A written file reaches the disk here, in one go; HDF5 itself never writes to disk, so
// a full disk cannot leave it half-closed. The in-memory file and the descriptor are
// released whatever happens.
void Hdf5File::close() {
  if (id_ < 0) return;
  std::string error = fd_ >= 0 ? write_in_memory_file(id_, fd_) : "";
  herr_t status = H5Fclose(std::exchange(id_, -1));
  if (fd_ >= 0 && ::close(std::exchange(fd_, -1)) != 0 && error.empty()) error = std::strerror(errno);
  if (!error.empty()) fail_in(path_, "write failed: {}", error);
  if (status < 0) fail_in(path_, "closing failed");
}

void Hdf5File::require_open(const std::string& what) const {
  if (id_ < 0) fail_in(path_, "file is closed, cannot access '{}'", what);
}

void Hdf5File::require_writable(const std::string& what) const {
  require_open(what);
  if (fd_ < 0) fail_in(path_, "opened read-only, cannot write '{}'", what);
}

// The group at `group` (the root for "" or "/"), created with its parents when `create`.
int64_t Hdf5File::open_group(const std::string& group, bool create) const {
  std::string g = clean(group);
  require_open(g);
  if (g.empty()) return H5Gopen2(id_, "/", H5P_DEFAULT);
  for (size_t pos = create ? g.find('/') : std::string::npos;; pos = g.find('/', pos + 1)) {
    std::string prefix = g.substr(0, pos);
    H5I_type_t type = object_type(id_, prefix);
    if (type == H5I_BADID && create) {
      Handle gcpl = untimed(H5P_GROUP_CREATE);
      Handle made(H5Gcreate2(id_, prefix.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose);
      if (!made.valid()) fail_in(path_, "cannot create group '{}'", prefix);
    } else if (type == H5I_BADID) {
      fail_in(path_, "no group '{}'", prefix);
    } else if (type != H5I_GROUP) {
      fail_in(path_, "'{}' is not a group", prefix);
    }
    if (pos == std::string::npos) break;
  }
  return H5Gopen2(id_, g.c_str(), H5P_DEFAULT);
}

int64_t Hdf5File::open_dataset(const std::string& name) const {
  require_open(name);
  if (object_type(id_, name) != H5I_DATASET) fail_in(path_, "no dataset '{}'", name);
  hid_t ds = H5Dopen2(id_, name.c_str(), H5P_DEFAULT);
  if (ds < 0) fail_in(path_, "cannot open dataset '{}'", name);
  return ds;
}

void Hdf5File::write(const std::string& name, const Tensor& t) {
  std::string n = clean(name);
  require_writable(n);
  if (n.empty()) fail_in(path_, "a dataset needs a name");
  if (!t.defined()) fail_in(path_, "cannot write an undefined tensor as '{}'", n);
  if (object_type(id_, n) != H5I_BADID) fail_in(path_, "'{}' already exists", n);
  size_t slash = n.rfind('/');
  if (slash != std::string::npos) H5Gclose(open_group(n.substr(0, slash), true));  // makes the parents

  Tensor data;
  {
    NoGradGuard no_grad;
    data = t.contiguous();
  }
  std::vector<hsize_t> dims(data.shape().begin(), data.shape().end());
  Handle space(data.dim() == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(data.dim(), dims.data(), nullptr),
               H5Sclose);
  Handle dcpl = untimed(H5P_DATASET_CREATE);
  Handle ds(H5Dcreate2(id_, n.c_str(), file_type(data.dtype()), space, H5P_DEFAULT, dcpl, H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) fail_in(path_, "cannot create dataset '{}' {}", n, describe(t));
  if (data.numel() > 0 &&
      H5Dwrite(ds, memory_type(data.dtype()), H5S_ALL, H5S_ALL, H5P_DEFAULT, data.raw_data()) < 0)
    fail_in(path_, "cannot write dataset '{}' {}", n, describe(t));
  if (!write_int_attribute(ds, kChecksum, checksum(data))) fail_in(path_, "cannot write the crc32 of '{}'", n);
}

Tensor Hdf5File::read(const std::string& name) const {
  std::string n = clean(name);
  Handle ds(open_dataset(n), H5Dclose);
  Handle type(H5Dget_type(ds), H5Tclose);
  Handle space(H5Dget_space(ds), H5Sclose);
  if (!type.valid() || !space.valid()) fail_in(path_, "cannot open dataset '{}'", n);

  DType dtype;
  if (!dtype_for(type, dtype))
    fail_in(path_, "dataset '{}' is {}, expected float32, float64, int32 or int64", n, describe_type(type));
  if (H5Sget_simple_extent_type(space) == H5S_NULL) fail_in(path_, "dataset '{}' has no dataspace", n);
  int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0 || rank > kMaxDims) fail_in(path_, "dataset '{}' has rank {}, at most {} supported", n, rank, kMaxDims);
  hsize_t dims[kMaxDims] = {};
  H5Sget_simple_extent_dims(space, dims, nullptr);

  // The dataspace is only a claim: one larger than the file (a crafted 2^60 elements) is
  // refused before anything is allocated for it.
  hsize_t bytes = dtype_size(dtype), file_bytes = 0;
  bool overflow = false;
  for (int d = 0; d < rank; ++d)
    overflow |= dims[d] > hsize_t(std::numeric_limits<int64_t>::max()) || __builtin_mul_overflow(bytes, dims[d], &bytes);
  H5Fget_filesize(id_, &file_bytes);
  if (overflow || bytes > file_bytes)
    fail_in(path_, "dataset '{}' claims shape {} of {}, more than the file's {} bytes hold", n,
            shape_text(dims, rank), dtype_name(dtype), file_bytes);

  Tensor t = Tensor::empty(Dims(dims, dims + rank), dtype);
  if (t.numel() > 0 && H5Dread(ds, memory_type(dtype), H5S_ALL, H5S_ALL, H5P_DEFAULT, t.raw_data()) < 0)
    fail_in(path_, "cannot read dataset '{}' (truncated or corrupt file?)", n);
  if (H5Aexists(ds, kChecksum) > 0) {
    int64_t stored = read_int_attribute(ds, kChecksum, path_, "/" + n);
    uint32_t computed = checksum(t);
    if (stored != computed)
      fail_in(path_, "dataset '{}' fails its checksum (stored crc32 {}, computed {}): the file is corrupt", n, stored,
              computed);
  }
  return t;
}

bool Hdf5File::has_checksum(const std::string& name) const {
  Handle ds(open_dataset(clean(name)), H5Dclose);
  return H5Aexists(ds, kChecksum) > 0;
}

bool Hdf5File::has(const std::string& name) const {
  H5I_type_t type = object_type(id_, clean(name));
  return type == H5I_DATASET || type == H5I_GROUP;
}

std::vector<std::string> Hdf5File::list(const std::string& group) const {
  Handle g(open_group(group, false), H5Gclose);
  std::vector<std::string> out;
  collect_datasets(g, "", out);
  std::sort(out.begin(), out.end());
  return out;
}

// --- attributes ---

namespace {

Handle variable_string_type(H5T_cset_t cset) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, cset);
  return type;
}

}  // namespace

void Hdf5File::set_attr(const std::string& key, const std::string& value, const std::string& group) {
  require_writable(key);
  Handle g(open_group(group, true), H5Gclose);
  Handle type = variable_string_type(H5T_CSET_UTF8);
  Handle attr = new_attribute(g, key, type);
  const char* text = value.c_str();
  if (!attr.valid() || H5Awrite(attr, type, &text) < 0)
    fail_in(path_, "cannot write attribute '{}' on '{}'", key, absolute(group));
}

void Hdf5File::set_attr(const std::string& key, int64_t value, const std::string& group) {
  require_writable(key);
  Handle g(open_group(group, true), H5Gclose);
  if (!write_int_attribute(g, key, value)) fail_in(path_, "cannot write attribute '{}' on '{}'", key, absolute(group));
}

bool Hdf5File::has_attr(const std::string& key, const std::string& group) const {
  if (object_type(id_, clean(group)) != H5I_GROUP) return false;
  Handle g(open_group(group, false), H5Gclose);
  return H5Aexists(g, key.c_str()) > 0;
}

std::string Hdf5File::attr_string(const std::string& key, const std::string& group) const {
  std::string where = absolute(group);
  Handle g(open_group(group, false), H5Gclose);
  Handle attr = open_attribute(g, key, path_, where);
  Handle type(H5Aget_type(attr), H5Tclose);
  Handle space(H5Aget_space(attr), H5Sclose);
  if (H5Tget_class(type) != H5T_STRING || H5Sget_simple_extent_npoints(space) != 1)
    fail_in(path_, "attribute '{}' on '{}' is not a string", key, where);

  if (H5Tis_variable_str(type) > 0) {  // h5py's str, and ours
    Handle memory = variable_string_type(H5Tget_cset(type));
    char* text = nullptr;
    if (H5Aread(attr, memory, &text) < 0) fail_in(path_, "cannot read attribute '{}' on '{}'", key, where);
    std::string out = text ? text : "";
    H5free_memory(text);
    return out;
  }
  std::string out(H5Tget_size(type), '\0');  // fixed length (numpy bytes_), padded
  if (H5Aread(attr, type, out.data()) < 0) fail_in(path_, "cannot read attribute '{}' on '{}'", key, where);
  out.resize(strnlen(out.data(), out.size()));
  if (H5Tget_strpad(type) == H5T_STR_SPACEPAD) out.erase(out.find_last_not_of(' ') + 1);
  return out;
}

int64_t Hdf5File::attr_int(const std::string& key, const std::string& group) const {
  Handle g(open_group(group, false), H5Gclose);
  return read_int_attribute(g, key, path_, absolute(group));
}

}  // namespace qkv
