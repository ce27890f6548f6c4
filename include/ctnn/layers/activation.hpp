// activation_stage: an activation that could not be fused into a preceding dense layer
// (e.g. right after the input, or a second activation in a row).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/activation.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

/// The stream members of an activation on a sequence of StepSize features per step (none when
/// StepSize is 0: not a sequence, or an activation over the whole sample such as softmax).
template <class T, std::size_t StepSize, class Act>
struct activation_steps {};
template <class T, std::size_t StepSize, class Act>
requires(StepSize > 0) struct activation_steps<T, StepSize, Act> {
  static constexpr std::size_t state_size = 0;
  static constexpr std::size_t step_stride = kernels::padded<T>(StepSize);
  static void step(const T*, T*, const T* x, T* y) noexcept {
    kernels::activation_forward<Act>(x, y, StepSize);
    std::fill(y + StepSize, y + step_stride, T(0));
  }
};

/// in [N] -> out [N]: y = act(x). No parameters; backward reads x as the pre-activation.
/// On a sequence (StepSize features per step) it steps in streams.
template <class T, std::size_t N, class Act, std::size_t StepSize = 0>
struct activation_stage : activation_steps<T, StepSize, Act> {
  using activation = Act;
  static constexpr std::size_t in_size = N;
  static constexpr std::size_t out_size = N;
  static constexpr std::size_t out_stride = kernels::padded<T>(N);
  static constexpr std::size_t param_size = 0;
  static constexpr std::size_t param_count = 0;
  static constexpr std::size_t kept_stride = 0; ///< backward reads x and y

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
  static void import_params(const T*, T*) noexcept {}
  static void export_params(const T*, T*) noexcept {}
  template <class Init>
  static void initialize(T*, const Init&, rng&) noexcept {}
};

} // namespace CTNN_NAMESPACE::layers
