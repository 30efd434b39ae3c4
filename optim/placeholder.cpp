// Placeholder so the library has a source until the optimizers land.
namespace qkv::optim {}
