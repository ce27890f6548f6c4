// pool_stage (max and average pools, 1-D and 2-D) and global_avg_pool_stage. No parameters;
// backward recomputes each window's maximum from the input instead of keeping it.
#pragma once

#include <ctnn/core/random.hpp>
#include <ctnn/kernels/conv.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

namespace ctnn::layers {

namespace detail {
/// Parameterless stages: what they share of the protocol.
template <class T>
struct no_parameters {
  static constexpr std::size_t param_size = 0, param_count = 0, kept_stride = 0;
  static void import_params(const T*, T*) noexcept {}
  static void export_params(const T*, T*) noexcept {}
  template <class Init>
  static void initialize(T*, const Init&, rng&) noexcept {}
};
} // namespace detail

/// in [C, H, W] -> out [C, H', W'] (1-D: H = 1): max or mean of each window.
template <class T, class Descriptor, class In, class Out>
struct pool_stage : detail::no_parameters<T> {
  static constexpr auto g = Descriptor::geometry(In::dims);
  static constexpr kernels::conv_shape shape{g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.oh, g.ow};
  static constexpr bool is_max = Descriptor::is_max;
  static constexpr std::size_t in_size = In::size;
  static constexpr std::size_t out_size = Out::size;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);

  static void forward(const T*, const T* x, T* y) noexcept {
    for_each_window(x, [&](std::size_t o, const T* taps[], std::size_t count) {
      if constexpr (is_max) {
        T m = -std::numeric_limits<T>::infinity();
        for (std::size_t k = 0; k < count; ++k)
          if (*taps[k] > m || std::isnan(*taps[k])) {
            m = *taps[k];
            if (std::isnan(m)) break;
          }
        y[o] = m;
      } else {
        T s = 0;
        for (std::size_t k = 0; k < count; ++k) s += *taps[k];
        y[o] = s / T(shape.kh * shape.kw); // padding counts (count_include_pad)
      }
    });
    std::fill(y + out_size, y + out_stride, T(0));
  }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T*, T* y, std::size_t n) noexcept {
    for (std::size_t s = 0; s < n; ++s) forward(p, x + s * ldx, y + s * out_stride);
  }
  static void backward(const T*, T*, const T* x, std::size_t ldx, const T*, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode = kernels::store_mode::add) noexcept {
    if (!dx) return;
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = x + s * ldx;
      T* d = dx + s * ldx;
      std::fill(d, d + ldx, T(0));
      const T* dys = dy + s * out_stride;
      for_each_window(xs, [&](std::size_t o, const T* taps[], std::size_t count) {
        if constexpr (is_max) {
          std::size_t best = 0; // the first maximum, as PyTorch
          for (std::size_t k = 1; k < count && !std::isnan(*taps[best]); ++k)
            if (*taps[k] > *taps[best] || std::isnan(*taps[k])) best = k;
          if (count) d[taps[best] - xs] += dys[o];
        } else {
          const T share = dys[o] / T(shape.kh * shape.kw);
          for (std::size_t k = 0; k < count; ++k) d[taps[k] - xs] += share;
        }
      });
    }
  }

private:
  /// f(output index, pointers to the window's taps inside the input (row-major), their count).
  template <class F>
  static void for_each_window(const T* x, F&& f) noexcept {
    const T* taps[shape.kh * shape.kw];
    for (std::size_t c = 0; c < shape.c; ++c)
      for (std::size_t oy = 0; oy < shape.oh; ++oy)
        for (std::size_t ox = 0; ox < shape.ow; ++ox) {
          std::size_t count = 0;
          for (std::size_t i = 0; i < shape.kh; ++i) {
            const std::ptrdiff_t yy = std::ptrdiff_t(oy * shape.sh + i * shape.dh) - std::ptrdiff_t(shape.pt);
            if (yy < 0 || yy >= std::ptrdiff_t(shape.h)) continue;
            for (std::size_t j = 0; j < shape.kw; ++j) {
              const std::ptrdiff_t xx = std::ptrdiff_t(ox * shape.sw + j * shape.dw) - std::ptrdiff_t(shape.pl);
              if (xx >= 0 && xx < std::ptrdiff_t(shape.w)) taps[count++] = x + (c * shape.h + std::size_t(yy)) * shape.w + std::size_t(xx);
            }
          }
          f((c * shape.oh + oy) * shape.ow + ox, taps, count);
        }
  }
};

/// in [C, S...] -> out [C]: y[c] = mean of channel c's Spatial values.
template <class T, std::size_t Channels, std::size_t Spatial>
struct global_avg_pool_stage : detail::no_parameters<T> {
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
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T*, T* y, std::size_t n) noexcept {
    for (std::size_t s = 0; s < n; ++s) forward(p, x + s * ldx, y + s * out_stride);
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

} // namespace ctnn::layers
