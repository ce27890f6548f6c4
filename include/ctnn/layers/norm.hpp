// The layer_norm stage (dsl/layers/norm.hpp): each of Groups groups of Size elements normalized
// to mean 0 and variance 1, then scaled and shifted by per-element gamma and beta.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

template <class T, std::size_t Groups, std::size_t Size>
struct layer_norm_stage {
  static constexpr std::size_t N = Groups * Size;
  static constexpr std::size_t in_size = N, out_size = N;
  static constexpr std::size_t out_stride = kernels::padded<T>(N);
  static constexpr std::size_t slot = kernels::padded<T>(Size);
  static constexpr std::size_t param_size = 2 * slot; ///< gamma, then beta
  static constexpr std::size_t param_count = 2 * Size;
  /// For backward: the normalized values, then 1 / sigma of each group.
  static constexpr std::size_t kept_stride = kernels::padded<T>(N) + kernels::padded<T>(Groups);
  static constexpr double eps = 1e-5;

  /// One group: xhat = (x - mean) / sqrt(var + eps) (into xhat if given), y = xhat gamma + beta;
  /// returns 1 / sqrt(var + eps).
  static T normalize(const T* p, const T* x, T* xhat, T* y) noexcept {
    T mean = 0;
    for (std::size_t k = 0; k < Size; ++k) mean += x[k];
    mean /= T(Size);
    T var = 0;
    for (std::size_t k = 0; k < Size; ++k) var += (x[k] - mean) * (x[k] - mean);
    const T inv = T(1) / std::sqrt(var / T(Size) + T(eps));
    for (std::size_t k = 0; k < Size; ++k) {
      const T h = (x[k] - mean) * inv;
      if (xhat) xhat[k] = h;
      y[k] = h * p[k] + p[slot + k];
    }
    return inv;
  }
  static void forward(const T* p, const T* x, T* y) noexcept {
    for (std::size_t g = 0; g < Groups; ++g) normalize(p, x + g * Size, nullptr, y + g * Size);
    std::fill(y + N, y + out_stride, T(0));
  }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    for (std::size_t r = 0; r < n; ++r) {
      T* yr = y + r * out_stride;
      T* kr = kept ? kept + r * kept_stride : nullptr;
      for (std::size_t g = 0; g < Groups; ++g) {
        const T inv = normalize(p, x + r * ldx + g * Size, kr ? kr + g * Size : nullptr, yr + g * Size);
        if (kr) kr[kernels::padded<T>(N) + g] = inv;
      }
      std::fill(yr + N, yr + out_stride, T(0));
    }
  }
  /// dgamma += dy xhat, dbeta += dy; dx = inv (dxh - mean(dxh) - xhat mean(dxh xhat)), dxh = dy gamma.
  static void backward(const T* p, T* grad, const T*, std::size_t ldx, const T* kept, const T*, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(grad, grad + param_size, T(0));
    for (std::size_t r = 0; r < n; ++r) {
      const T* kr = kept + r * kept_stride;
      const T* dyr = dy + r * out_stride;
      for (std::size_t g = 0; g < Groups; ++g) {
        const T* xh = kr + g * Size;
        const T* d = dyr + g * Size;
        T mean_dxh = 0, mean_dxh_xh = 0;
        for (std::size_t k = 0; k < Size; ++k) {
          grad[k] += d[k] * xh[k];
          grad[slot + k] += d[k];
          const T dxh = d[k] * p[k];
          mean_dxh += dxh;
          mean_dxh_xh += dxh * xh[k];
        }
        if (!dx) continue;
        mean_dxh /= T(Size);
        mean_dxh_xh /= T(Size);
        const T inv = kr[kernels::padded<T>(N) + g];
        T* out = dx + r * ldx + g * Size;
        for (std::size_t k = 0; k < Size; ++k) out[k] = inv * (d[k] * p[k] - mean_dxh - xh[k] * mean_dxh_xh);
      }
      if (dx) std::fill(dx + r * ldx + N, dx + (r + 1) * ldx, T(0));
    }
  }
  // ---- streams: on a sequence, one step is one group (layers/stage.hpp); no state ----
  static constexpr std::size_t state_size = 0;
  static constexpr std::size_t step_stride = kernels::padded<T>(Size);
  static void step(const T* p, T*, const T* x, T* y) noexcept {
    normalize(p, x, nullptr, y);
    std::fill(y + Size, y + step_stride, T(0));
  }

  static void import_params(const T* logical, T* p) noexcept {
    std::copy_n(logical, Size, p);
    std::copy_n(logical + Size, Size, p + slot);
  }
  static void export_params(const T* p, T* logical) noexcept {
    std::copy_n(p, Size, logical);
    std::copy_n(p + slot, Size, logical + Size);
  }
  /// PyTorch's start: gamma 1, beta 0 (whatever the initializer).
  template <class Init>
  static void initialize(T* p, const Init&, rng&) noexcept {
    std::fill_n(p, Size, T(1));
    std::fill_n(p + slot, Size, T(0));
  }
};

} // namespace CTNN_NAMESPACE::layers
