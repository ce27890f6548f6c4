// What one instruction set's build of a model offers a dispatched network: plain data and
// function pointers, the same type in every translation unit whatever its compile flags (it is
// declared in namespace ctnn itself, never in an instruction set's inline namespace).
#pragma once

#include <cstddef>

namespace ctnn {

/// One instruction set's kernels for one model (float parameters). Made by
/// CTNN_DISPATCH_TARGET in a translation unit compiled for that instruction set
/// (ctnn/runtime/dispatch_target.hpp); used by ctnn::dispatched (ctnn/runtime/dispatch.hpp).
struct dispatch_entry {
  const char* isa = "";        ///< "avx512", "avx2" or "sse2"
  std::size_t param_count = 0; ///< of the model, as PyTorch counts them
  std::size_t input_size = 0, output_size = 0;
  void* (*create)(const float* params) = nullptr; ///< a network with these parameters (PyTorch order)
  void (*destroy)(void* net) noexcept = nullptr;
  void (*forward)(const void* net, const float* x, float* y) noexcept = nullptr; ///< one sample
  /// n samples, rows of input_size and output_size values.
  void (*predict)(const void* net, const float* x, float* y, std::size_t n) = nullptr;
};

} // namespace ctnn
