// The CPU backend's tag. Every kernel in cpu/kernels/ takes it as its first argument, so
// that an op written once, `layer_norm_forward(backend, ...)` with `backend` handed over by
// autograd/dispatch.h, finds the kernel by argument-dependent lookup in the namespace of
// the tag: qkv::cpu here, a second backend's namespace for its own tag.
#pragma once

namespace qkv::cpu {

struct Backend {};

}  // namespace qkv::cpu
