// from_stage: input I of several (inputs<...>, from<I>): a copy of its values out of the row
// that holds every input; backward puts the gradient back in its place (zero elsewhere).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

/// in [InSize] (every input) -> out [OutSize]: y = x[Offset, Offset + OutSize).
template <class T, std::size_t Offset, std::size_t InSize, std::size_t OutSize>
struct from_stage {
  static_assert(Offset + OutSize <= InSize);
  static constexpr std::size_t in_size = InSize;
  static constexpr std::size_t out_size = OutSize;
  static constexpr std::size_t out_stride = kernels::padded<T>(OutSize);
  static constexpr std::size_t param_size = 0;
  static constexpr std::size_t param_count = 0;
  static constexpr std::size_t kept_stride = 0;

  static void forward(const T*, const T* x, T* y) noexcept {
    std::copy_n(x + Offset, OutSize, y);
    std::fill(y + OutSize, y + out_stride, T(0));
  }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T*, T* y, std::size_t n) noexcept {
    for (std::size_t r = 0; r < n; ++r) forward(p, x + r * ldx, y + r * out_stride);
  }
  static void backward(const T*, T*, const T*, std::size_t ldx, const T*, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode = kernels::store_mode::add) noexcept {
    if (!dx) return;
    for (std::size_t r = 0; r < n; ++r) {
      std::fill(dx + r * ldx, dx + (r + 1) * ldx, T(0));
      std::copy_n(dy + r * out_stride, OutSize, dx + r * ldx + Offset);
    }
  }
  static void import_params(const T*, T*) noexcept {}
  static void export_params(const T*, T*) noexcept {}
  template <class Init>
  static void initialize(T*, const Init&, rng&) noexcept {}
};

} // namespace CTNN_NAMESPACE::layers
