// conv_stage: conv2d and conv1d as the runtime runs them, outputs channel-major ([F, H', W'], as
// PyTorch's), bias and activation fused.
// - Stride 1 (the common case): direct convolution over wide planes (kernels/direct_conv.hpp),
//   vectorized over output positions, for one sample and for batches; backward computes the
//   weight gradient over the whole batch at once and the input gradient as the correlation of
//   the padded output gradient with the flipped weights.
// - Other strides: each output position's window is gathered (im2col, in tiles of positions on
//   the stack) and multiplied by the filters with the dense layer's register-blocked
//   micro-kernel; backward runs the same tiles through the dense layer's backward kernels and
//   scatters the input gradient back (col2im).
// - groups<G>: each group of filters runs over its group of channels: the direct kernels per
//   group at stride 1; other strides with grouped windows and plain loops (depthwise layers are
//   memory-bound: a handful of taps per output).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/frame.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/kernels/conv.hpp>
#include <ctnn/kernels/direct_conv.hpp>
#include <ctnn/layers/dense.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE::layers {

/// in [C, H, W] (conv1d: [C, L]) -> out [F, H', W'] ([F, L']): y = act(conv(x, W) + b), with
/// W [F, C, KH, KW] stored as a dense layer's [F, C*KH*KW] weight (kernels::dense_layout).
/// Descriptor: conv2d<...> or conv1d<...> (its geometry(dims) places the window).
template <class T, class Descriptor, class In, class Out, class Act>
struct conv_stage {
  static constexpr auto geometry = Descriptor::geometry(In::dims);
  static constexpr kernels::conv_shape shape = kernels::conv_shape_of(geometry);
  static constexpr std::size_t filters = Descriptor::filters;
  static constexpr std::size_t groups = Descriptor::groups;
  static constexpr std::size_t group_channels = shape.c / groups, group_filters = filters / groups;
  /// One group's geometry: its channels only.
  static constexpr kernels::conv_shape group_shape = [] {
    kernels::conv_shape g = shape;
    g.c = group_channels;
    return g;
  }();
  static constexpr std::size_t window = group_shape.window(); ///< C / G * KH * KW: one position's inputs
  static constexpr std::size_t positions = shape.positions(); ///< H' * W'
  using gemm = dense_stage<T, window, filters, Act>;          ///< one position: a dense layer
  using layout = typename gemm::layout;
  static constexpr std::size_t padded_filters = layout::padded_out;

  static constexpr std::size_t in_size = In::size;
  static constexpr std::size_t out_size = filters * positions;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t param_size = layout::size;
  static constexpr std::size_t param_count = layout::param_count;
  /// Stride 1: the direct kernels, over wide planes of the padded input (`wide`) and, for the
  /// input gradient, of the padded output gradient (`wide_t`, flipped weights).
  static constexpr bool direct = shape.sh == 1 && shape.sw == 1;
  /// wide_in pads every channel; wide and wide_t run one group's channels and filters.
  using wide_in = kernels::wide_conv<shape.c, filters, shape.kh, shape.kw, shape.dh, shape.dw, shape.oh, shape.ow>;
  using wide =
      kernels::wide_conv<group_channels, group_filters, shape.kh, shape.kw, shape.dh, shape.dw, shape.oh, shape.ow>;
  using wide_t =
      kernels::wide_conv<group_filters, group_channels, shape.kh, shape.kw, shape.dh, shape.dw, wide::hp, wide::ws>;
  /// What forward_batch keeps per sample, at these offsets: z (channel-major), and with the
  /// direct kernels the padded input; backward's scratch follows: the output gradient's wide
  /// planes for the weight gradient, and then, over all of it (which the input gradient no
  /// longer reads), its padded planes for the input gradient.
  static constexpr std::size_t kept_input = out_stride;
  static constexpr std::size_t kept_dz = kept_input + wide_in::template input_size<T>;
  static constexpr std::size_t kept_dz_padded = 0;
  static constexpr std::size_t kept_stride =
      direct ? std::max(kept_dz + filters * wide::template output_plane<T>, wide_t::template input_size<T>)
             : out_stride;
  /// Stage protocol: one sample's forward pads its input into wide planes (stride 1).
  static constexpr std::size_t frame_bytes = direct ? wide_in::template input_size<T> * sizeof(T) : 0;
  /// Output positions per tile: the gathered windows of a tile stay within 16 KiB (L1).
  static constexpr std::size_t tile = std::clamp<std::size_t>(16384 / sizeof(T) / window, 4, 64);

  /// The weights as a dense layer's: weight(f, (c * KH + i) * KW + j) is W[f][c][i][j].
  static dense_view<T> view(T* p) noexcept { return gemm::view(p); }

  static void forward(const T* p, const T* x, T* y) noexcept {
    if constexpr (direct) {
      ctnn::detail::frame<T, wide_in::template input_size<T>> in;
      run_direct(p, x, in, nullptr, y);
    } else if constexpr (groups > 1) {
      run_grouped(p, x, nullptr, y);
    } else {
      run(p, x, nullptr, y);
    }
  }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    if constexpr (direct) {
      ctnn::detail::frame<T, wide_in::template input_size<T>> in; // when nothing is kept
      for (std::size_t s = 0; s < n; ++s) {
        T* k = kept ? kept + s * kept_stride : nullptr;
        run_direct(p, x + s * ldx, k ? k + kept_input : in, k, y + s * out_stride);
      }
    } else {
      for (std::size_t s = 0; s < n; ++s) {
        T* z = kept ? kept + s * kept_stride : nullptr;
        if constexpr (groups > 1)
          run_grouped(p, x + s * ldx, z, y + s * out_stride);
        else
          run(p, x + s * ldx, z, y + s * out_stride);
      }
    }
  }

  static void backward(const T* p, T* g, const T* x, std::size_t ldx, T* kept, const T* y, T* dy, T* dx, std::size_t n,
                       kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if constexpr (direct)
      backward_direct(p, g, x, ldx, kept, y, dy, dx, n, mode);
    else if constexpr (groups > 1)
      backward_grouped(p, g, x, ldx, kept, y, dy, dx, n, mode);
    else
      backward_im2col(p, g, x, ldx, kept, y, dy, dx, n, mode);
  }

  /// PyTorch order: weight [F][C][KH][KW], then bias [F] (a dense layer's [F][C*KH*KW] order).
  static void import_params(const T* logical, T* p) noexcept { gemm::import_params(logical, p); }
  static void export_params(const T* p, T* logical) noexcept { gemm::export_params(p, logical); }
  /// As PyTorch counts fans for a convolution: fan_in = C / G KH KW, fan_out = F KH KW.
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    const auto v = view(p);
    const std::size_t fan_in = window, fan_out = filters * shape.kh * shape.kw;
    for (std::size_t f = 0; f < filters; ++f)
      for (std::size_t k = 0; k < window; ++k) v.weight(f, k) = static_cast<T>(init.weight(fan_in, fan_out, gen));
    for (std::size_t f = 0; f < filters; ++f) v.bias(f) = static_cast<T>(init.bias(fan_in, fan_out, gen));
  }

private:
  /// Weight W[f][c][i][j] in the dense layout.
  static constexpr std::size_t weight_at(std::size_t f, std::size_t c, std::size_t i, std::size_t j) noexcept {
    return layout::index((c * shape.kh + i) * shape.kw + j, f);
  }

  /// One sample by the direct kernel: x padded into `in` (wide planes), y (and z unless null)
  /// channel-major, padding zero.
  static void run_direct(const T* p, const T* x, T* in, T* z, T* y) noexcept {
    wide_in::pad(x, shape.h, shape.w, shape.pt, shape.pl, in);
    for (std::size_t gr = 0; gr < groups; ++gr) {
      const std::size_t f0 = gr * group_filters;
      const auto weight = [p, f0](std::size_t f, std::size_t c, std::size_t i, std::size_t j) {
        return p[weight_at(f0 + f, c, i, j)];
      };
      const auto rows = [&](std::size_t f, std::size_t r, const T* zr, const T* yr) {
        T* at = y + (f0 + f) * positions + r * shape.ow;
        std::copy_n(yr, shape.ow, at);
        if (z) std::copy_n(zr ? zr : yr, shape.ow, z + (at - y));
      };
      const T* group_in = in + gr * group_channels * wide::plane;
      if (z)
        wide::template forward<Act, true>(group_in, weight, p + layout::weight_size + f0, rows);
      else
        wide::template forward<Act, false>(group_in, weight, p + layout::weight_size + f0, rows);
    }
    std::fill(y + out_size, y + out_stride, T(0));
    if (z) std::fill(z + out_size, z + out_stride, T(0));
  }

  /// Backward by the direct kernels: dz = dy act'(z, y) in place, laid out as wide planes in
  /// kept; the weight and bias gradients over all n samples; the input gradient per sample.
  static void backward_direct(const T* p, T* g, const T*, std::size_t ldx, T* kept, const T* y, T* dy, T* dx,
                              std::size_t n, kernels::store_mode mode) noexcept {
    using V = kernels::simd<T>;
    constexpr std::size_t L = V::size, plane = wide::template output_plane<T>;
    for (std::size_t s = 0; s < n; ++s) {
      T* d = dy + s * out_stride;
      T* k = kept + s * kept_stride;
      if constexpr (!std::is_same_v<Act, kernels::identity_fn>)
        for (std::size_t i = 0; i < out_stride; i += L)
          (V::load_aligned(d + i) *
           Act::simd_derivative(V::load_aligned(k + i), V::load_aligned(y + s * out_stride + i)))
              .store_aligned(d + i);
      T* dz = k + kept_dz; // [F][OH][WS]: dz at x < OW, zero at the discarded positions
      std::fill(dz, dz + filters * plane, T(0));
      for (std::size_t f = 0; f < filters; ++f)
        for (std::size_t r = 0; r < shape.oh; ++r)
          std::copy_n(d + f * positions + r * shape.ow, shape.ow, dz + f * plane + r * wide::ws);
    }
    if (mode == kernels::store_mode::overwrite) std::fill(g, g + param_size, T(0));
    for (std::size_t gr = 0; gr < groups; ++gr) {
      const std::size_t f0 = gr * group_filters;
      wide::weight_gradient(
          kept + kept_input + gr * group_channels * wide::plane, kept_stride, kept + kept_dz + f0 * plane, kept_stride,
          n,
          [g, f0](std::size_t f, std::size_t c, std::size_t i, std::size_t j) -> T& {
            return g[weight_at(f0 + f, c, i, j)];
          },
          g + layout::weight_size + f0);
    }
    if (!dx) return;
    for (std::size_t s = 0; s < n; ++s) { // (sample s's kept values are read: its region is scratch now)
      T* k = kept + s * kept_stride;
      T* ds = dx + s * ldx;
      std::fill(ds, ds + ldx, T(0));
      for (std::size_t gr = 0; gr < groups; ++gr) {
        const std::size_t f0 = gr * group_filters, c0 = gr * group_channels;
        // dL/d(padded input) = dz padded by the kernel's extent, correlated with W[f][c] flipped
        wide_t::pad(dy + s * out_stride + f0 * positions, shape.oh, shape.ow, (shape.kh - 1) * shape.dh,
                    (shape.kw - 1) * shape.dw, k + kept_dz_padded);
        wide_t::template forward<kernels::identity_fn, false>(
            k + kept_dz_padded,
            [p, f0](std::size_t c, std::size_t f, std::size_t i, std::size_t j) {
              return p[weight_at(f0 + f, c, shape.kh - 1 - i, shape.kw - 1 - j)];
            },
            static_cast<const T*>(nullptr),
            [&](std::size_t c, std::size_t r, const T*, const T* row) {
              if (r >= shape.pt && r < shape.pt + shape.h)
                std::copy_n(row + shape.pl, shape.w, ds + ((c0 + c) * shape.h + r - shape.pt) * shape.w);
            });
      }
    }
  }

  static void backward_im2col(const T* p, T* g, const T* x, std::size_t ldx, const T* kept, const T* y, T* dy, T* dx,
                              std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    alignas(alignment) T col[tile * window];
    alignas(alignment) T dcol[tile * window];
    alignas(alignment) T zt[tile * padded_filters], yt[tile * padded_filters], dyt[tile * padded_filters];
    bool first = true;
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = x + s * ldx;
      if (dx) std::fill(dx + s * ldx, dx + (s + 1) * ldx, T(0));
      for (std::size_t p0 = 0; p0 < positions; p0 += tile) {
        const std::size_t rows = std::min(tile, positions - p0);
        kernels::im2col(shape, xs, p0, rows, col);
        if constexpr (!std::is_same_v<Act, kernels::identity_fn>) { // the derivative reads z and y
          gather(kept + s * kept_stride, p0, rows, zt);
          gather(y + s * out_stride, p0, rows, yt);
        }
        gather(dy + s * out_stride, p0, rows, dyt);
        gemm::backward_params(g, col, window, zt, yt, dyt, rows, gemm::all_columns,
                              first ? mode : kernels::store_mode::add);
        first = false;
        if (dx) {
          kernels::dense_backward_input<window, filters>(p, dyt, dcol, window, rows);
          kernels::col2im_add(shape, dcol, p0, rows, dx + s * ldx);
        }
      }
    }
  }

  /// Grouped, stride > 1, one sample: each group's windows (im2col over its channels) times its
  /// filters' weights; y (and z unless null) channel-major, padding zero.
  static void run_grouped(const T* p, const T* x, T* z, T* y) noexcept {
    alignas(alignment) T col[tile * window];
    alignas(alignment) T acc[tile];
    for (std::size_t gr = 0; gr < groups; ++gr) {
      const T* xg = x + gr * group_channels * shape.h * shape.w;
      for (std::size_t p0 = 0; p0 < positions; p0 += tile) {
        const std::size_t rows = std::min(tile, positions - p0);
        kernels::im2col(group_shape, xg, p0, rows, col);
        for (std::size_t f = gr * group_filters; f < (gr + 1) * group_filters; ++f) {
          const T b = p[layout::weight_size + f];
          for (std::size_t r = 0; r < rows; ++r) acc[r] = b;
          for (std::size_t k = 0; k < window; ++k) {
            const T w = p[layout::index(k, f)];
            for (std::size_t r = 0; r < rows; ++r) acc[r] += w * col[r * window + k];
          }
          T* yf = y + f * positions + p0;
          if (z) std::copy_n(acc, rows, z + f * positions + p0);
          kernels::activation_forward<Act>(acc, yf, rows);
        }
      }
    }
    std::fill(y + out_size, y + out_stride, T(0));
    if (z) std::fill(z + out_size, z + out_stride, T(0));
  }

  /// Backward of run_grouped: dz = dy act'(z, y) in place, then per group and tile of positions
  /// the weight and bias gradients and (with dx) the windows' gradients scattered back (col2im).
  static void backward_grouped(const T* p, T* g, const T* x, std::size_t ldx, const T* kept, const T* y, T* dy, T* dx,
                               std::size_t n, kernels::store_mode mode) noexcept {
    alignas(alignment) T col[tile * window];
    alignas(alignment) T dcol[tile * window];
    if (mode == kernels::store_mode::overwrite) std::fill(g, g + param_size, T(0));
    for (std::size_t s = 0; s < n; ++s) {
      T* d = dy + s * out_stride;
      if constexpr (!std::is_same_v<Act, kernels::identity_fn>)
        kernels::activation_backward<Act>(kept + s * kept_stride, y + s * out_stride, d, d, out_size);
      if (dx) std::fill(dx + s * ldx, dx + (s + 1) * ldx, T(0));
      for (std::size_t gr = 0; gr < groups; ++gr) {
        const std::size_t offset = gr * group_channels * shape.h * shape.w;
        for (std::size_t p0 = 0; p0 < positions; p0 += tile) {
          const std::size_t rows = std::min(tile, positions - p0);
          kernels::im2col(group_shape, x + s * ldx + offset, p0, rows, col);
          if (dx) std::fill(dcol, dcol + rows * window, T(0));
          for (std::size_t f = gr * group_filters; f < (gr + 1) * group_filters; ++f) {
            const T* df = d + f * positions + p0;
            T bias = 0;
            for (std::size_t r = 0; r < rows; ++r) bias += df[r];
            g[layout::weight_size + f] += bias;
            for (std::size_t k = 0; k < window; ++k) {
              T sum = 0;
              for (std::size_t r = 0; r < rows; ++r) sum += df[r] * col[r * window + k];
              g[layout::index(k, f)] += sum;
              if (dx) {
                const T w = p[layout::index(k, f)];
                for (std::size_t r = 0; r < rows; ++r) dcol[r * window + k] += w * df[r];
              }
            }
          }
          if (dx) kernels::col2im_add(group_shape, dcol, p0, rows, dx + s * ldx + offset);
        }
      }
    }
  }

  /// One sample: y (and z unless null) channel-major, padding zero.
  static void run(const T* p, const T* x, T* z, T* y) noexcept {
    alignas(alignment) T col[tile * window];
    alignas(alignment) T yt[tile * padded_filters], zt[tile * padded_filters];
    for (std::size_t p0 = 0; p0 < positions; p0 += tile) {
      const std::size_t rows = std::min(tile, positions - p0);
      kernels::im2col(shape, x, p0, rows, col);
      gemm::forward_batch(p, col, window, z ? zt : nullptr, yt, rows);
      scatter(yt, p0, rows, y);
      if (z) scatter(zt, p0, rows, z);
    }
    std::fill(y + out_size, y + out_stride, T(0));
    if (z) std::fill(z + out_size, z + out_stride, T(0));
  }
  /// Position-major tile (rows x padded_filters) -> channel-major sample.
  static void scatter(const T* t, std::size_t p0, std::size_t rows, T* out) noexcept {
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t f = 0; f < filters; ++f) out[f * positions + p0 + r] = t[r * padded_filters + f];
  }
  /// Channel-major sample -> position-major tile, padding columns zero.
  static void gather(const T* in, std::size_t p0, std::size_t rows, T* t) noexcept {
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t f = 0; f < filters; ++f) t[r * padded_filters + f] = in[f * positions + p0 + r];
      std::fill(t + r * padded_filters + filters, t + (r + 1) * padded_filters, T(0));
    }
  }
};

} // namespace CTNN_NAMESPACE::layers
