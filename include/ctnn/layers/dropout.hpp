// The dropout stage (dsl/layers/dropout.hpp): identity at inference (the runtime skips it),
// a random mask scaled by 1 / (1 - p) in training, kept for backward.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace CTNN_NAMESPACE::layers {

template <class T, std::size_t N, std::size_t Num, std::size_t Den>
struct dropout_stage : detail::no_parameters<T> {
  static constexpr std::size_t in_size = N, out_size = N;
  static constexpr std::size_t out_stride = kernels::padded<T>(N);
  static constexpr std::size_t kept_stride = out_stride; ///< the mask, 0 or 1 / (1 - p) per element
  static constexpr bool inference_identity = true;
  static constexpr bool stochastic = true;
  /// An element is kept when its 64 random bits are at least p 2^64 (exact for p = Num / Den up
  /// to 2^-64).
  static constexpr std::uint64_t threshold =
      std::uint64_t((unsigned __int128)Num * (((unsigned __int128)1) << 64) / Den);
  static constexpr T scale = T(Den) / T(Den - Num);

  /// Inference (the runtime skips it; what it would do): y = x.
  static void forward(const T*, const T* x, T* y) noexcept {
    std::copy_n(x, N, y);
    std::fill(y + N, y + out_stride, T(0));
  }
  static void forward_batch(const T*, const T* x, std::size_t ldx, T*, T* y, std::size_t n) noexcept {
    for (std::size_t r = 0; r < n; ++r) forward(nullptr, x + r * ldx, y + r * out_stride);
  }
  /// Training: y = x m, m = 0 with probability p, else 1 / (1 - p); m kept for backward.
  static void forward_batch(const T*, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n,
                            const noise& nz) noexcept {
    for (std::size_t r = 0; r < n; ++r) {
      T* m = kept + r * kept_stride;
      const std::uint64_t key = nz.row_key(r);
      for (std::size_t k = 0; k < N; ++k) {
        m[k] = noise::bits(key, k) >= threshold ? scale : T(0);
        y[r * out_stride + k] = x[r * ldx + k] * m[k];
      }
      std::fill(m + N, m + kept_stride, T(0));
      std::fill(y + r * out_stride + N, y + (r + 1) * out_stride, T(0));
    }
  }
  /// dx = dy m.
  static void backward(const T*, T*, const T*, std::size_t ldx, const T* kept, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode = kernels::store_mode::add) noexcept {
    if (!dx) return;
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t k = 0; k < N; ++k) dx[r * ldx + k] = dy[r * out_stride + k] * kept[r * kept_stride + k];
      std::fill(dx + r * ldx + N, dx + (r + 1) * ldx, T(0));
    }
  }
};

} // namespace CTNN_NAMESPACE::layers
