// Hdf5Edit: edits an HDF5 file in place through the HDF5 C API, as damage or a crafted
// file would (attributes of another type, datasets of another dtype or of 2^60 elements,
// removed checksums), for the tests of Hdf5File and of checkpoints.
#pragma once
#include <hdf5.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace qkv::testing {

class Hdf5Edit {
 public:
  explicit Hdf5Edit(const std::string& path) : id_(H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT)) {
    REQUIRE(id_ >= 0);
  }
  ~Hdf5Edit() { H5Fclose(id_); }
  Hdf5Edit(const Hdf5Edit&) = delete;
  Hdf5Edit& operator=(const Hdf5Edit&) = delete;

  void remove(const std::string& name) { REQUIRE(H5Ldelete(id_, name.c_str(), H5P_DEFAULT) >= 0); }
  void remove_attr(const std::string& object, const std::string& key) {
    REQUIRE(H5Adelete_by_name(id_, object.c_str(), key.c_str(), H5P_DEFAULT) >= 0);
  }

  // A scalar attribute of a fixed-size type (set_attr("/", "step", H5T_NATIVE_DOUBLE, &x)),
  // replacing one of that name.
  void set_attr(const std::string& object, const std::string& key, hid_t type, const void* value) {
    if (H5Aexists_by_name(id_, object.c_str(), key.c_str(), H5P_DEFAULT) > 0) remove_attr(object, key);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate_by_name(id_, object.c_str(), key.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(attr >= 0);
    REQUIRE(H5Awrite(attr, type, value) >= 0);
    H5Aclose(attr);
    H5Sclose(space);
  }
  void set_attr(const std::string& object, const std::string& key, int64_t value) {
    set_attr(object, key, H5T_NATIVE_INT64, &value);
  }
  void set_attr(const std::string& object, const std::string& key, const std::string& text) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    const char* chars = text.c_str();
    set_attr(object, key, type, &chars);
    H5Tclose(type);
  }

  // Replaces dataset `name` by one of `type` and shape `dims` holding `data` (left
  // unwritten when null: HDF5 then allocates nothing, whatever the shape claims).
  void put(const std::string& name, hid_t type, const std::vector<hsize_t>& dims, const void* data = nullptr) {
    if (H5Lexists(id_, name.c_str(), H5P_DEFAULT) > 0) remove(name);
    hid_t space = H5Screate_simple(dims.size(), dims.data(), nullptr);
    hid_t ds = H5Dcreate2(id_, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(ds >= 0);
    if (data) REQUIRE(H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0);
    H5Dclose(ds);
    H5Sclose(space);
  }

  // Overwrites float32 dataset `name` with `values` and gives it the matching crc32, as a
  // writer that checksums whatever it holds would.
  void overwrite_f32(const std::string& name, const std::vector<float>& values) {
    hid_t ds = H5Dopen2(id_, name.c_str(), H5P_DEFAULT);
    REQUIRE(ds >= 0);
    REQUIRE(H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0);
    H5Dclose(ds);
    int64_t crc = crc32_z(0, reinterpret_cast<const Bytef*>(values.data()), values.size() * sizeof(float));
    set_attr(name, "crc32", crc);
  }

  // Where the bytes of contiguous dataset `name` start in the file.
  haddr_t offset(const std::string& name) {
    hid_t ds = H5Dopen2(id_, name.c_str(), H5P_DEFAULT);
    haddr_t at = H5Dget_offset(ds);
    H5Dclose(ds);
    REQUIRE(at != HADDR_UNDEF);
    return at;
  }

  // A scalar integer attribute, as stored.
  int64_t int_attr(const std::string& object, const std::string& key) {
    hid_t attr = H5Aopen_by_name(id_, object.c_str(), key.c_str(), H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(attr >= 0);
    int64_t value = 0;
    REQUIRE(H5Aread(attr, H5T_NATIVE_INT64, &value) >= 0);
    H5Aclose(attr);
    return value;
  }

 private:
  hid_t id_;
};

}  // namespace qkv::testing
