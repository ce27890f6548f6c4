// The conv_transpose2d stage (dsl/layers/conv_transpose.hpp). Each input value scatters its
// kernel-sized contribution into the output: y[f, i sh - ph + ky dh, j sw - pw + kx dw] +=
// w[c, f, ky, kx] x[c, i, j], plus the bias. Backward gathers along the same taps: dx is a
// convolution of dy, dw the correlation of x with dy. Parameters in PyTorch's layout.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/layers/conv_transpose.hpp>
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
  std::size_t filters, kh, kw, bias_at;
  T& weight(std::size_t c, std::size_t f, std::size_t ky, std::size_t kx) const noexcept {
    return params[((c * filters + f) * kh + ky) * kw + kx];
  }
  T& bias(std::size_t f) const noexcept { return params[bias_at + f]; }
};

namespace layers {

template <class T, transposed_geometry G>
struct conv_transpose2d_stage : detail::batch_by_samples<conv_transpose2d_stage<T, G>, T> {
  static constexpr std::size_t C = G.c, H = G.h, W = G.w, F = G.f, OH = G.oh, OW = G.ow;
  static constexpr std::size_t taps = G.kh * G.kw;
  static constexpr std::size_t in_size = C * H * W, out_size = F * OH * OW;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t weights = C * F * taps, bias_at = kernels::padded<T>(weights);
  static constexpr std::size_t param_size = bias_at + kernels::padded<T>(F), param_count = weights + F;
  static constexpr std::size_t kept_stride = 0;

  static conv_transpose_view<T> view(T* p) noexcept { return {p, F, G.kh, G.kw, bias_at}; }

  /// Calls f(input index, output index, weight index) for every tap that lands in the output.
  template <class Fn>
  static void for_each_tap(Fn&& fn) noexcept {
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t f = 0; f < F; ++f)
        for (std::size_t ky = 0; ky < G.kh; ++ky)
          for (std::size_t kx = 0; kx < G.kw; ++kx) {
            const std::size_t wi = ((c * F + f) * G.kh + ky) * G.kw + kx;
            for (std::size_t i = 0; i < H; ++i) {
              const std::ptrdiff_t oy = std::ptrdiff_t(i * G.sh + ky * G.dh) - std::ptrdiff_t(G.ph);
              if (oy < 0 || oy >= std::ptrdiff_t(OH)) continue;
              // the columns j whose tap lands in [0, OW): j sw + kx dw - pw in range
              for (std::size_t j = 0; j < W; ++j) {
                const std::ptrdiff_t ox = std::ptrdiff_t(j * G.sw + kx * G.dw) - std::ptrdiff_t(G.pw);
                if (ox < 0 || ox >= std::ptrdiff_t(OW)) continue;
                fn((c * H + i) * W + j, (f * OH + std::size_t(oy)) * OW + std::size_t(ox), wi);
              }
            }
          }
  }

  static void forward(const T* p, const T* x, T* y) noexcept {
    for (std::size_t f = 0; f < F; ++f) std::fill_n(y + f * OH * OW, OH * OW, p[bias_at + f]);
    for_each_tap([&](std::size_t in, std::size_t out, std::size_t wi) { y[out] += p[wi] * x[in]; });
    std::fill(y + out_size, y + out_stride, T(0));
  }
  static void backward(const T* p, T* grad, const T* x, std::size_t ldx, const T*, const T*, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(grad, grad + param_size, T(0));
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = x + s * ldx;
      const T* d = dy + s * out_stride;
      for (std::size_t f = 0; f < F; ++f) {
        T sum = 0;
        for (std::size_t k = 0; k < OH * OW; ++k) sum += d[f * OH * OW + k];
        grad[bias_at + f] += sum;
      }
      if (dx) std::fill(dx + s * ldx, dx + (s + 1) * ldx, T(0));
      T* g = dx ? dx + s * ldx : nullptr;
      for_each_tap([&](std::size_t in, std::size_t out, std::size_t wi) {
        grad[wi] += xs[in] * d[out];
        if (g) g[in] += p[wi] * d[out];
      });
    }
  }

  static void import_params(const T* logical, T* p) noexcept {
    std::copy_n(logical, weights, p);
    std::copy_n(logical + weights, F, p + bias_at);
  }
  static void export_params(const T* p, T* logical) noexcept {
    std::copy_n(p, weights, logical);
    std::copy_n(p + bias_at, F, logical + weights);
  }
  /// PyTorch's fans for a weight [C, F, KH, KW]: fan_in = F KH KW, fan_out = C KH KW.
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    const std::size_t fan_in = F * taps, fan_out = C * taps;
    for (std::size_t k = 0; k < weights; ++k) p[k] = static_cast<T>(init.weight(fan_in, fan_out, gen));
    for (std::size_t f = 0; f < F; ++f) p[bias_at + f] = static_cast<T>(init.bias(fan_in, fan_out, gen));
  }
};

} // namespace layers
} // namespace ctnn
