// conv_transpose2d<Filters, kernel<KH, KW>, options...>: the transposed convolution of PyTorch's
// nn.ConvTranspose2d (the gradient of conv2d with respect to its input, with a bias): the
// decoder's learned way up. Lowers to layers::conv_transpose2d_stage
// (include/ctnn/layers/conv_transpose.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/layers/window.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace CTNN_NAMESPACE {

/// output_padding<P> or output_padding<PH, PW> (conv_transpose2d): extra rows and columns on
/// the bottom and right of the output, to reach the size a strided conv2d came from.
template <std::size_t H, std::size_t W = H>
struct output_padding {
  static constexpr std::size_t h = H, w = W;
  static std::string name() { return "output_padding<" + std::to_string(H) + ", " + std::to_string(W) + ">"; }
};

/// The placement of a transposed convolution over an input [C, H, W].
struct transposed_geometry {
  std::size_t c = 0, h = 0, w = 0, f = 0; ///< input channels and extent, output channels
  std::size_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, ph = 0, pw = 0, oph = 0, opw = 0;
  std::size_t oh = 0, ow = 0; ///< output extent
};

namespace layers {
template <class T, std::size_t Channels, window_geometry Mirror>
struct conv_transpose2d_stage;
} // namespace layers

namespace detail {
template <class O>
inline constexpr bool is_transposed_option = option_match<stride, O>::value || option_match<padding, O>::value ||
                                             option_match<dilation, O>::value || option_match<output_padding, O>::value;
}

/// conv_transpose2d<Filters, kernel<KH, KW>, options...>: in [C, H, W] -> out [Filters, H', W'],
/// H' = (H - 1) sh - 2 ph + dh (KH - 1) + oph + 1 (likewise W'), PyTorch's output-size rule.
/// Options: stride<S>, padding<P>, dilation<D>, output_padding<P> (each also <H, W>; PyTorch
/// requires output_padding < stride or < dilation). Parameters in PyTorch's layout: weight
/// [C, Filters, KH, KW], then bias [Filters]; C * Filters * KH * KW + Filters of them.
template <std::size_t Filters, class Kernel, class... Options>
struct conv_transpose2d {
  static_assert((detail::is_transposed_option<Options> && ...),
                "conv_transpose2d: the options are stride<...>, padding<...>, dilation<...>, output_padding<...>");
  static constexpr layer_role role = layer_role::stage;
  /// The window layers' failure codes (detail::window_error; an empty output is window_too_large),
  /// and one of its own.
  static constexpr int none = detail::window_ok, output_padding_too_large = 100;

  static constexpr std::pair<transposed_geometry, int> place(const dims& in) noexcept {
    transposed_geometry g{};
    if (in.rank != 3 || in.sequence) return {g, detail::wrong_rank};
    if (Filters == 0 || Kernel::h == 0 || Kernel::w == 0) return {g, detail::zero_size};
    const auto s = detail::option_value<stride, Options...>(1, 1);
    const auto d = detail::option_value<dilation, Options...>(1, 1);
    const auto p = detail::option_value<padding, Options...>(0, 0);
    const auto op = detail::option_value<output_padding, Options...>(0, 0);
    g = {in.extent[0], in.extent[1], in.extent[2], Filters, Kernel::h, Kernel::w, s[0], s[1],
         d[0],         d[1],         p[0],         p[1],    op[0],     op[1],     0,    0};
    if (g.sh == 0 || g.sw == 0 || g.dh == 0 || g.dw == 0) return {g, detail::zero_stride_or_dilation};
    if ((g.oph >= g.sh && g.oph >= g.dh) || (g.opw >= g.sw && g.opw >= g.dw)) return {g, output_padding_too_large};
    const std::size_t full_h = (g.h - 1) * g.sh + g.dh * (g.kh - 1) + g.oph + 1;
    const std::size_t full_w = (g.w - 1) * g.sw + g.dw * (g.kw - 1) + g.opw + 1;
    if (full_h <= 2 * g.ph || full_w <= 2 * g.pw) return {g, detail::window_too_large};
    g.oh = full_h - 2 * g.ph;
    g.ow = full_w - 2 * g.pw;
    return {g, none};
  }
  static constexpr transposed_geometry geometry(const dims& in) noexcept { return place(in).first; }
  /// The geometry of the mirror convolution [Filters, H', W'] -> [C, H, W] (same window, stride,
  /// dilation and padding), which the stage and its kernels run on. Its output extent is the
  /// input's; the output padding lies below and right of what the windows cover.
  static constexpr window_geometry mirror(const dims& in) noexcept {
    const transposed_geometry g = geometry(in);
    return {g.f, g.oh, g.ow, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.ph, g.ph, g.pw, g.pw, g.h, g.w};
  }
  static constexpr layer_shape infer(const dims& in) noexcept {
    const auto [g, e] = place(in);
    if (e != none) return {e, {}};
    return {none, dims{3, {Filters, g.oh, g.ow}}};
  }
  static constexpr std::size_t param_count(const dims& in) noexcept {
    return in.extent[0] * Filters * Kernel::h * Kernel::w + Filters;
  }
  /// Every input value meets every tap of every filter.
  static constexpr std::size_t macs(const dims& in) noexcept { return in.size() * Filters * Kernel::h * Kernel::w; }
  template <int Error, class Index, class Received>
  using diagnosis =
      std::conditional_t<Error == output_padding_too_large,
                         diag::output_padding_too_large<Index, conv_transpose2d,
                                                        diag::fix_keep_output_padding_below_the_stride_or_dilation>,
                         detail::window_diagnosis<Error, Index, conv_transpose2d, Received, 3,
                                                  diag::fix_reshape_to_channels_height_width>>;
  template <class T, class In, class Out, class>
  using stage = layers::conv_transpose2d_stage<T, In::dims.extent[0], mirror(In::dims)>;
  static std::string name() {
    return "conv_transpose2d<" + std::to_string(Filters) + ", kernel<" + std::to_string(Kernel::h) + ", " +
           std::to_string(Kernel::w) + ">" + detail::option_names<Options...>() + ">";
  }
};

} // namespace CTNN_NAMESPACE
