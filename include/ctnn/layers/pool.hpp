// pool_stage (max and average pools, 1-D and 2-D; kernels/pool.hpp) and global_avg_pool_stage.
// No parameters; backward recomputes each window's maximum from the input instead of keeping it.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/pool.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace CTNN_NAMESPACE::layers {

/// in [C, H, W] -> out [C, H', W'] (1-D: H = 1): max or mean of each window.
template <class T, class Descriptor, class In, class Out>
struct pool_stage : detail::no_parameters<T>, detail::batch_by_samples<pool_stage<T, Descriptor, In, Out>, T> {
  static constexpr auto g = Descriptor::geometry(In::dims);
  static constexpr kernels::conv_shape shape = kernels::conv_shape_of(g);
  static constexpr bool is_max = Descriptor::is_max;
  static constexpr std::size_t in_size = In::size;
  static constexpr std::size_t out_size = Out::size;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);

  static void forward(const T*, const T* x, T* y) noexcept {
    kernels::pool_forward<shape, is_max>(x, y);
    std::fill(y + out_size, y + out_stride, T(0));
  }
  static void backward(const T*, T*, const T* x, std::size_t ldx, const T*, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode = kernels::store_mode::add) noexcept {
    if (!dx) return;
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = x + s * ldx;
      T* d = dx + s * ldx;
      std::fill(d, d + ldx, T(0));
      kernels::pool_backward<shape, is_max>(xs, dy + s * out_stride, d);
    }
  }
};

/// in [C, S...] -> out [C]: y[c] = mean of channel c's Spatial values.
template <class T, std::size_t Channels, std::size_t Spatial>
struct global_avg_pool_stage : detail::no_parameters<T>,
                               detail::batch_by_samples<global_avg_pool_stage<T, Channels, Spatial>, T> {
  static constexpr std::size_t in_size = Channels * Spatial;
  static constexpr std::size_t out_size = Channels;
  static constexpr std::size_t out_stride = kernels::padded<T>(Channels);
  static void forward(const T*, const T* x, T* y) noexcept {
    for (std::size_t c = 0; c < Channels; ++c) {
      T s = 0;
      for (std::size_t k = 0; k < Spatial; ++k) s += x[c * Spatial + k];
      y[c] = s / T(Spatial);
    }
    std::fill(y + Channels, y + out_stride, T(0));
  }
  static void backward(const T*, T*, const T*, std::size_t ldx, const T*, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode = kernels::store_mode::add) noexcept {
    if (!dx) return;
    for (std::size_t s = 0; s < n; ++s) {
      std::fill(dx + s * ldx + in_size, dx + (s + 1) * ldx, T(0));
      for (std::size_t c = 0; c < Channels; ++c)
        std::fill_n(dx + s * ldx + c * Spatial, Spatial, dy[s * out_stride + c] / T(Spatial));
    }
  }
};

} // namespace CTNN_NAMESPACE::layers
