// What convolutions and pools have in common: a window slid over [C, H, W] (or [C, L]) with a
// stride, zero padding and dilation, and the options users spell them with.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/window.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <array>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

namespace CTNN_NAMESPACE {

/// kernel<KH, KW>: a convolution's window (kernel<3> = 3 x 3; conv1d: kernel<K>).
template <std::size_t H, std::size_t W = H>
struct kernel {
  static constexpr std::size_t h = H, w = W;
};
/// window<KH, KW>: a pool's window (window<2> = 2 x 2; 1-D pools: window<K>).
template <std::size_t H, std::size_t W = H>
struct window {
  static constexpr std::size_t h = H, w = W;
};
/// stride<S> or stride<SH, SW> (default 1 for convolutions, the window for pools).
template <std::size_t H, std::size_t W = H>
struct stride {
  static constexpr std::size_t h = H, w = W;
  static std::string name() { return "stride<" + std::to_string(H) + ", " + std::to_string(W) + ">"; }
};
/// padding<P> or padding<PH, PW>: zeros added on both sides (default 0).
template <std::size_t H, std::size_t W = H>
struct padding {
  static constexpr std::size_t h = H, w = W;
  static std::string name() { return "padding<" + std::to_string(H) + ", " + std::to_string(W) + ">"; }
};
/// dilation<D> or dilation<DH, DW>: spacing between window taps (default 1).
template <std::size_t H, std::size_t W = H>
struct dilation {
  static constexpr std::size_t h = H, w = W;
  static std::string name() { return "dilation<" + std::to_string(H) + ", " + std::to_string(W) + ">"; }
};
/// same: pad so that the output has the input's size (stride 1; odd total padding puts the extra
/// zero after, as PyTorch's padding='same').
struct same {
  static std::string name() { return "same"; }
};
/// valid: no padding (the default).
struct valid {
  static std::string name() { return "valid"; }
};
/// causal (conv1d; conv2d over a sequence of frames): all padding before the signal in time,
/// d (k - 1) zeros, so that output t sees inputs up to t only; the output has the input's length
/// (conv2d: its number of steps; the features are padded as padding<0, P> says).
struct causal {
  static std::string name() { return "causal"; }
};

namespace detail {

template <template <std::size_t, std::size_t> class Opt, class T>
struct option_match : std::false_type {
  static constexpr std::size_t h = 0, w = 0;
};
template <template <std::size_t, std::size_t> class Opt, std::size_t H, std::size_t W>
struct option_match<Opt, Opt<H, W>> : std::true_type {
  static constexpr std::size_t h = H, w = W;
};

/// The (h, w) of option Opt among Os, or the default.
template <template <std::size_t, std::size_t> class Opt, class... Os>
constexpr std::array<std::size_t, 2> option_value(std::size_t dh, std::size_t dw) noexcept {
  std::array<std::size_t, 2> v{dh, dw};
  ((option_match<Opt, Os>::value
        ? (v = std::array<std::size_t, 2>{option_match<Opt, Os>::h, option_match<Opt, Os>::w}, 0)
        : 0),
   ...);
  return v;
}
template <class O, class... Os>
inline constexpr bool has_option = (std::is_same_v<O, Os> || ...);

/// Which options a window layer accepts; anything else is reported by its static_assert.
template <class O>
inline constexpr bool is_window_option =
    option_match<stride, O>::value || option_match<padding, O>::value || option_match<dilation, O>::value ||
    std::is_same_v<O, same> || std::is_same_v<O, valid> || std::is_same_v<O, causal>;

/// Failure codes shared by window layers (each maps them to its diagnostics).
enum window_error : int {
  window_ok,
  wrong_rank,
  zero_size,
  zero_stride_or_dilation,
  window_too_large,
  same_needs_stride_1
};

/// Places a window of kh x kw over in (rank 3 [C, H, W], or rank 2 [C, L] when one_d) with the
/// options Os; `pool_stride`: the stride defaults to the window. Returns the geometry and a
/// window_error.
template <class... Os>
constexpr std::pair<window_geometry, int> place_window(const dims& in, bool one_d, std::size_t kh, std::size_t kw,
                                                       bool pool_stride) noexcept {
  window_geometry g{};
  if (in.rank != (one_d ? 2u : 3u) || in.sequence) return {g, wrong_rank}; // sequences are time-major
  g.c = in.extent[0];
  g.h = one_d ? 1 : in.extent[1];
  g.w = one_d ? in.extent[1] : in.extent[2];
  g.kh = one_d ? 1 : kh;
  g.kw = kw;
  // a 1-D layer reads the first extent of each option (stride<S> is stride<S, S>)
  const std::size_t default_h = pool_stride ? (one_d ? kw : kh) : 1, default_w = pool_stride ? kw : 1;
  const auto s = option_value<stride, Os...>(default_h, default_w);
  const auto d = option_value<dilation, Os...>(1, 1);
  const auto p = option_value<padding, Os...>(0, 0);
  g.sh = one_d ? 1 : s[0];
  g.sw = one_d ? s[0] : s[1];
  g.dh = one_d ? 1 : d[0];
  g.dw = one_d ? d[0] : d[1];
  if (g.sh == 0 || g.sw == 0 || g.dh == 0 || g.dw == 0) return {g, zero_stride_or_dilation};
  if (g.kh == 0 || g.kw == 0) return {g, zero_size};
  const std::size_t span_h = g.dh * (g.kh - 1), span_w = g.dw * (g.kw - 1);
  if constexpr (has_option<same, Os...>) {
    if (g.sh != 1 || g.sw != 1) return {g, same_needs_stride_1};
    g.pt = span_h / 2, g.pb = span_h - g.pt, g.pl = span_w / 2, g.pr = span_w - g.pl;
  } else if constexpr (has_option<causal, Os...>) {
    if (one_d) {
      g.pl = span_w;
    } else { // conv2d over a sequence of frames: causal in time (the height), padding<PH, PW> in width
      g.pt = span_h;
      g.pl = g.pr = p[1];
    }
  } else {
    g.pt = g.pb = one_d ? 0 : p[0];
    g.pl = g.pr = one_d ? p[0] : p[1];
  }
  if (g.h + g.pt + g.pb < span_h + 1 || g.w + g.pl + g.pr < span_w + 1) return {g, window_too_large};
  g.oh = (g.h + g.pt + g.pb - span_h - 1) / g.sh + 1;
  g.ow = (g.w + g.pl + g.pr - span_w - 1) / g.sw + 1;
  return {g, window_ok};
}

/// The output dims of a window layer with `channels` output channels.
constexpr dims window_output(const window_geometry& g, std::size_t channels, bool one_d) noexcept {
  return one_d ? dims{2, {channels, g.ow}} : dims{3, {channels, g.oh, g.ow}};
}

/// ", stride<2, 2>, same" for the options of a layer's name.
template <class... Os>
std::string option_names() {
  return ((", " + Os::name()) + ... + std::string());
}

/// The diagnostic of window_error E for layer L at Index, having received R.
template <int E, class Index, class L, class R, std::size_t Rank, class FixRank>
using window_diagnosis = std::conditional_t<
    E == wrong_rank,
    diag::layer_rejects_input_shape<Index, L, diag::expects<diag::rank<Rank>>, diag::receives<R>, FixRank>,
    std::conditional_t<
        E == zero_size, diag::layer_has_zero_size<Index, L, diag::fix_give_the_layer_at_least_one_unit>,
        std::conditional_t<
            E == zero_stride_or_dilation,
            diag::layer_has_zero_stride_or_dilation<Index, L, diag::fix_give_stride_and_dilation_at_least_1>,
            std::conditional_t<
                E == same_needs_stride_1,
                diag::same_padding_needs_stride_1<Index, L, diag::fix_use_explicit_padding_with_a_stride>,
                diag::window_larger_than_padded_input<Index, L, diag::receives<R>,
                                                      diag::fix_pad_the_input_or_use_a_smaller_window>>>>>;

} // namespace detail
} // namespace CTNN_NAMESPACE
