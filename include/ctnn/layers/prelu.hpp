// prelu_stage: PReLU with Slopes learnable slopes (1: shared by every value; C: one per channel),
// over C channels of S values each (a vector [C] is S = 1). Slopes start at 0.25, as PyTorch's.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

/// The stream members of one slope on a sequence of StepSize features per step (none when
/// StepSize is 0: not a sequence).
template <class T, std::size_t StepSize>
struct prelu_steps {};
template <class T, std::size_t StepSize>
requires(StepSize > 0) struct prelu_steps<T, StepSize> {
  static constexpr std::size_t state_size = 0;
  static constexpr std::size_t step_stride = kernels::padded<T>(StepSize);
  static void step(const T* a, T*, const T* x, T* y) noexcept {
    for (std::size_t k = 0; k < StepSize; ++k) y[k] = x[k] > T(0) ? x[k] : a[0] * x[k];
    std::fill(y + StepSize, y + step_stride, T(0));
  }
};

/// in [C, S] -> out [C, S]: y = x (x > 0), a x (else), a = slope[Slopes == 1 ? 0 : c]. With one
/// slope on a sequence (StepSize features per step) it steps in streams.
template <class T, std::size_t Slopes, std::size_t C, std::size_t S, std::size_t StepSize = 0>
struct prelu_stage : prelu_steps<T, StepSize> {
  static_assert(Slopes == 1 || Slopes == C);
  static constexpr std::size_t in_size = C * S, out_size = C * S;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t param_size = Slopes, param_count = Slopes;
  static constexpr std::size_t kept_stride = 0; // backward reads x

  static constexpr std::size_t slope_of(std::size_t c) noexcept { return Slopes == 1 ? 0 : c; }
  static void forward(const T* a, const T* x, T* y) noexcept {
    for (std::size_t c = 0; c < C; ++c) {
      const T slope = a[slope_of(c)];
      for (std::size_t s = 0; s < S; ++s) {
        const T v = x[c * S + s];
        y[c * S + s] = v > T(0) ? v : slope * v;
      }
    }
    std::fill(y + out_size, y + out_stride, T(0));
  }
  static void forward_batch(const T* a, const T* x, std::size_t ldx, T*, T* y, std::size_t n) noexcept {
    for (std::size_t r = 0; r < n; ++r) forward(a, x + r * ldx, y + r * out_stride);
  }
  /// dx = dy (x > 0 ? 1 : a); da = sum of dy x over the values x <= 0 it applies to.
  static void backward(const T* a, T* g, const T* x, std::size_t ldx, const T*, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(g, g + Slopes, T(0));
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t c = 0; c < C; ++c) {
        const T slope = a[slope_of(c)];
        T sum = 0;
        for (std::size_t s = 0; s < S; ++s) {
          const T v = x[r * ldx + c * S + s], d = dy[r * out_stride + c * S + s];
          if (v <= T(0)) sum += d * v;
          if (dx) dx[r * ldx + c * S + s] = v > T(0) ? d : slope * d;
        }
        g[slope_of(c)] += sum;
      }
    if (dx)
      for (std::size_t r = 0; r < n; ++r) std::fill(dx + r * ldx + in_size, dx + (r + 1) * ldx, T(0));
  }
  static void import_params(const T* logical, T* a) noexcept { std::copy_n(logical, Slopes, a); }
  static void export_params(const T* a, T* logical) noexcept { std::copy_n(a, Slopes, logical); }
  /// PyTorch's PReLU starts every slope at 0.25, whatever the initializer.
  template <class Init>
  static void initialize(T* a, const Init&, rng&) noexcept {
    std::fill(a, a + Slopes, T(0.25));
  }
};

} // namespace CTNN_NAMESPACE::layers
