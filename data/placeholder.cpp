// Placeholder so the library has a source until the data code lands.
namespace qkv::data {}
