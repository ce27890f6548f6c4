// activation_stage: an activation that could not be fused into a preceding dense layer
// (e.g. right after the input, or a second activation in a row).
#pragma once

#include <ctnn/kernels/activation.hpp>

#include <algorithm>
#include <cstddef>

namespace ctnn::layers {

/// in [N] -> out [N]: y = act(x). No parameters; backward reads x as the pre-activation.
template <class T, std::size_t N, class Act>
struct activation_stage {
  using activation = Act;
  static constexpr std::size_t in = N;
  static constexpr std::size_t out = N;
  static constexpr std::size_t out_stride = kernels::padded<T>(N);
  static constexpr std::size_t param_size = 0;
  static constexpr std::size_t param_count = 0;
  static constexpr bool keeps_pre_activation = false;
  static constexpr bool splits_columns = false; ///< two cores split it by samples

  static void forward(const T*, const T* x, T* y) noexcept { kernels::activation_forward<Act>(x, y, N); }
  static void forward_batch(const T*, const T* x, std::size_t ldx, T*, T* y, std::size_t n) noexcept {
    for (std::size_t r = 0; r < n; ++r) {
      kernels::activation_forward<Act>(x + r * ldx, y + r * out_stride, N);
      std::fill(y + r * out_stride + N, y + (r + 1) * out_stride, T(0));
    }
  }
  static void backward(const T*, T*, const T* x, std::size_t ldx, const T*, const T* y, T* dy, T* dx, std::size_t n,
                       kernels::store_mode = kernels::store_mode::add) noexcept {
    if (!dx) return;
    for (std::size_t r = 0; r < n; ++r) {
      kernels::activation_backward<Act>(x + r * ldx, y + r * out_stride, dy + r * out_stride, dx + r * ldx, N);
      std::fill(dx + r * ldx + N, dx + (r + 1) * ldx, T(0));
    }
  }
  /// backward in two parts, for two cores (see dense_stage): no parameters, then dx for n rows.
  static void backward_params(T*, const T*, std::size_t, const T*, const T*, T*, std::size_t,
                              kernels::register_range, kernels::store_mode, T* = nullptr) noexcept {}
  static void backward_input(const T*, const T* x, std::size_t ldx, const T* y, T* dy, T* dx,
                             std::size_t n) noexcept {
    backward(nullptr, nullptr, x, ldx, nullptr, y, dy, dx, n);
  }
  static void import_params(const T*, T*) noexcept {}
  static void export_params(const T*, T*) noexcept {}
};

} // namespace ctnn::layers
