// The conv_transpose2d stage (dsl/layers/conv_transpose.hpp). Each input value scatters its
// kernel-sized contribution into the output: y[f, i sh - ph + ky dh, j sw - pw + kx dw] +=
// w[c, f, ky, kx] x[c, i, j], plus the bias. Backward gathers along the same taps: dx is a
// convolution of dy, dw the correlation of x with dy.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/conv.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE {

/// What net.layer<I>() returns for a conv_transpose2d: weight(c, f, ky, kx) as PyTorch's
/// weight[c][f][ky][kx] (in channels first), bias(f).
template <class T>
struct conv_transpose_view {
  T* params;
  std::size_t filters, kh, kw, row, bias_at;
  T& weight(std::size_t c, std::size_t f, std::size_t ky, std::size_t kx) const noexcept {
    return params[c * row + (f * kh + ky) * kw + kx];
  }
  T& bias(std::size_t f) const noexcept { return params[bias_at + f]; }
};

namespace layers {

/// The weight is a matrix M [C, F KH KW] (PyTorch's [C, F, KH, KW] with rows padded to whole
/// registers): input position q contributes the row vector x[:, q]^T M, one window of the output,
/// which col2im adds in place. That is the input gradient of the conv2d [F, OH, OW] -> [C, H, W]
/// with the same weight (the "mirror" convolution below), so backward is that conv2d's forward
/// (dx: windows gathered by im2col, dotted with M's rows) and weight gradient.
///
/// C: input channels; Mirror: the geometry of the mirror convolution [F, OH, OW] -> [C, H, W]
/// (core/window.hpp), the one geometry convolutions and pooling use too.
template <class T, std::size_t Channels, window_geometry Mirror>
struct conv_transpose2d_stage : detail::batch_by_samples<conv_transpose2d_stage<T, Channels, Mirror>, T> {
  using V = kernels::simd<T>;
  static constexpr std::size_t L = V::size;
  static constexpr window_geometry G = Mirror;
  static constexpr std::size_t C = Channels, H = G.oh, W = G.ow, F = G.c, OH = G.h, OW = G.w;
  static constexpr std::size_t positions = H * W, window = F * G.kh * G.kw;
  static constexpr std::size_t row = kernels::round_up(window, L); ///< M's row stride
  static constexpr kernels::conv_shape mirror = kernels::conv_shape_of(Mirror);
  static constexpr std::size_t in_size = C * positions, out_size = F * OH * OW;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t bias_at = C * row;
  static constexpr std::size_t param_size = bias_at + kernels::padded<T>(F), param_count = C * window + F;
  static constexpr std::size_t kept_stride = 0;
  /// Input positions per tile: a tile of windows stays within 16 KiB (L1).
  static constexpr std::size_t tile = std::clamp<std::size_t>(16384 / sizeof(T) / row, 4, 64);

  static conv_transpose_view<T> view(T* p) noexcept { return {p, F, G.kh, G.kw, row, bias_at}; }

  static void forward(const T* p, const T* x, T* y) noexcept {
    alignas(alignment) T col[tile * row];
    for (std::size_t f = 0; f < F; ++f) std::fill_n(y + f * OH * OW, OH * OW, p[bias_at + f]);
    for (std::size_t q0 = 0; q0 < positions; q0 += tile) {
      const std::size_t rows = std::min(tile, positions - q0);
      for (std::size_t r = 0; r < rows; ++r) { // col[r] = x[:, q0 + r]^T M
        T* out = col + r * row;
        for (std::size_t k = 0; k < row; k += L) {
          V acc(T(0));
          for (std::size_t c = 0; c < C; ++c)
            acc = xsimd::fma(V(x[c * positions + q0 + r]), V::load_aligned(p + c * row + k), acc);
          acc.store_aligned(out + k);
        }
      }
      compact(col, rows);
      kernels::col2im_add(mirror, col, q0, rows, y);
    }
    std::fill(y + out_size, y + out_stride, T(0));
  }

  static void backward(const T* p, T* grad, const T* x, std::size_t ldx, const T*, const T*, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(grad, grad + param_size, T(0));
    alignas(alignment) T col[tile * row];
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = x + s * ldx;
      const T* d = dy + s * out_stride;
      for (std::size_t f = 0; f < F; ++f) {
        T sum = 0;
        for (std::size_t k = 0; k < OH * OW; ++k) sum += d[f * OH * OW + k];
        grad[bias_at + f] += sum;
      }
      T* g = dx ? dx + s * ldx : nullptr;
      if (g) std::fill(g + in_size, g + ldx, T(0));
      for (std::size_t q0 = 0; q0 < positions; q0 += tile) {
        const std::size_t rows = std::min(tile, positions - q0);
        kernels::im2col(mirror, d, q0, rows, col); // the output gradient's window of each input position
        spread(col, rows);
        for (std::size_t c = 0; c < C; ++c) {
          T* gm = grad + c * row;
          const T* m = p + c * row;
          for (std::size_t r = 0; r < rows; ++r) {
            const T* w = col + r * row;
            const V xv(xs[c * positions + q0 + r]);
            V dot(T(0));
            for (std::size_t k = 0; k < row; k += L) {
              const V dw = V::load_aligned(w + k);
              xsimd::fma(xv, dw, V::load_aligned(gm + k)).store_aligned(gm + k); // dM[c] += x[c, q] window
              dot = xsimd::fma(V::load_aligned(m + k), dw, dot);
            }
            if (g) g[c * positions + q0 + r] = xsimd::hadd(dot);
          }
        }
      }
    }
  }

  /// PyTorch's weight [C][F][KH][KW] (M's rows), then the bias [F].
  static void import_params(const T* logical, T* p) noexcept {
    for (std::size_t c = 0; c < C; ++c) std::copy_n(logical + c * window, window, p + c * row);
    std::copy_n(logical + C * window, F, p + bias_at);
  }
  static void export_params(const T* p, T* logical) noexcept {
    for (std::size_t c = 0; c < C; ++c) std::copy_n(p + c * row, window, logical + c * window);
    std::copy_n(p + bias_at, F, logical + C * window);
  }
  /// PyTorch's fans for a weight [C, F, KH, KW]: fan_in = F KH KW, fan_out = C KH KW.
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    const std::size_t fan_in = window, fan_out = C * G.kh * G.kw;
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t k = 0; k < window; ++k) p[c * row + k] = static_cast<T>(init.weight(fan_in, fan_out, gen));
    for (std::size_t f = 0; f < F; ++f) p[bias_at + f] = static_cast<T>(init.bias(fan_in, fan_out, gen));
  }

private:
  /// Tile rows of stride `row` -> rows of stride `window` (what col2im reads), in place.
  static void compact(T* col, std::size_t rows) noexcept {
    if constexpr (row != window)
      for (std::size_t r = 1; r < rows; ++r) std::copy_n(col + r * row, window, col + r * window);
  }
  /// The reverse (im2col wrote rows of stride `window`), the padding zero.
  static void spread(T* col, std::size_t rows) noexcept {
    if constexpr (row != window)
      for (std::size_t r = rows; r-- > 0;) {
        std::copy_backward(col + r * window, col + (r + 1) * window, col + r * row + window);
        std::fill(col + r * row + window, col + (r + 1) * row, T(0));
      }
  }
};

} // namespace layers
} // namespace CTNN_NAMESPACE
