// conv2d<Filters, kernel<KH, KW>, options...> and conv1d<Filters, Kernel, options...>: PyTorch's
// Conv2d / Conv1d (cross-correlation, weight [out_c, in_c, kh, kw], channel-major data). Lower
// to layers::conv_stage (include/ctnn/layers/conv.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/layers/window.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, class Descriptor, class In, class Out, class Act>
struct conv_stage;
template <class T, class Descriptor, class In, class Out, class Act>
struct sequence_conv_stage;
namespace int8 {
template <window_geometry G, std::size_t Filters, bool Clamp, bool Last>
struct conv;
} // namespace int8
} // namespace layers

/// groups<G> (conv2d, conv1d): the input channels and the filters in G groups, each group of
/// filters seeing its own group of channels (PyTorch's groups=G; weight [F, C / G, KH, KW]).
/// Depthwise when G is the channel count. C and F must be multiples of G.
template <std::size_t G>
struct groups {
  static constexpr std::size_t count = G;
  static std::string name() { return "groups<" + std::to_string(G) + ">"; }
};

namespace detail {
template <class O>
struct groups_match : std::false_type {
  static constexpr std::size_t count = 1;
};
template <std::size_t G>
struct groups_match<groups<G>> : std::true_type {
  static constexpr std::size_t count = G;
};
/// The G of groups<G> among Os, or 1.
template <class... Os>
constexpr std::size_t group_count() noexcept {
  std::size_t g = 1;
  ((g = groups_match<Os>::value ? groups_match<Os>::count : g), ...);
  return g;
}

/// What conv2d and conv1d share; OneD: [C, L] -> [F, L'].
template <class Self, std::size_t Filters, std::size_t KH, std::size_t KW, bool OneD, class... Options>
struct conv_base {
  static_assert(((is_window_option<Options> || groups_match<Options>::value) && ...),
                "conv2d/conv1d: the options are stride<...>, padding<...>, dilation<...>, same, valid, groups<G> "
                "(conv1d: causal)");
  static constexpr std::size_t filters = Filters;
  /// groups<G>: the filters and input channels in G groups (1 without the option).
  static constexpr std::size_t groups = group_count<Options...>();
  /// Failure codes after the window's: channels or filters not a multiple of the groups; a conv2d
  /// over a sequence whose steps are not frames, or a causal conv2d over an image.
  enum conv_error : int { groups_do_not_divide = 100, needs_frames };
  static constexpr bool one_d = OneD;
  static constexpr layer_role role = layer_role::stage;
  static constexpr fusion accepts = fusion::elementwise;
  static constexpr bool absorbs_channel_scale = true; ///< a batch_norm after it folds into it
  /// conv1d on a sequence<Steps, C> (time-major) convolves over time: the window is placed as
  /// over [C, Steps]. conv2d on a sequence<Steps, Features, C> convolves over time and features:
  /// the window is placed as over [C, Steps, Features].
  static constexpr dims channel_major(const dims& in) noexcept {
    if (OneD && in.sequence) return dims{2, {in.extent[1], in.extent[0]}};
    if (!OneD && in.sequence && in.channels) return dims{3, {in.channels, in.extent[0], in.frame_features()}};
    return in;
  }
  static constexpr bool frames_missing(const dims& in) noexcept {
    return !OneD && (in.sequence ? in.channels == 0 : has_option<causal, Options...>);
  }
  static constexpr std::pair<window_geometry, int> place(const dims& in) noexcept {
    return place_window<Options...>(channel_major(in), OneD, KH, KW, false);
  }
  /// The window's placement over input dims `in` (a valid input).
  static constexpr window_geometry geometry(const dims& in) noexcept { return place(in).first; }
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (Filters == 0 || groups == 0) return {zero_size, {}};
    if (frames_missing(in)) return {needs_frames, {}};
    const auto [g, e] = place(in);
    if (e != window_ok) return {e, {}};
    if (g.c % groups != 0 || Filters % groups != 0) return {groups_do_not_divide, {}};
    if (OneD && in.sequence) return {0, dims{2, {g.ow, Filters}, true}};
    if (in.sequence) return {0, sequence_dims(g.oh, g.ow * Filters, Filters)};
    return {0, window_output(g, Filters, OneD)};
  }
  static constexpr std::size_t param_count(const dims& in) noexcept {
    return Filters * (channel_major(in).extent[0] / groups) * (OneD ? KW : KH * KW) + Filters;
  }
  /// Every output value is a dot product over the window and its group's input channels.
  static constexpr std::size_t macs(const dims& in) noexcept {
    return infer(in).out.size() * (channel_major(in).extent[0] / groups) * (OneD ? KW : KH * KW);
  }
  template <int Error, class Index, class Received>
  using diagnosis = std::conditional_t<
      Error == needs_frames,
      diag::layer_rejects_input_shape<Index, Self, diag::expects<diag::a_sequence_of_frames>, diag::receives<Received>,
                                      diag::fix_declare_the_input_as_sequence_steps_features_channels>,
      std::conditional_t<
          Error == groups_do_not_divide,
          diag::groups_do_not_divide_channels<Index, Self, diag::receives<Received>,
                                              diag::fix_make_channels_and_filters_multiples_of_the_groups>,
          window_diagnosis<Error, Index, Self, Received, OneD ? 2 : 3,
                           std::conditional_t<OneD, diag::fix_reshape_to_channels_length,
                                              diag::fix_reshape_to_channels_height_width>>>>;
  /// int8 (ctnn::quantize): over an image or a signal, not grouped.
  static constexpr narrow_role narrow = groups == 1 ? narrow_role::stage : narrow_role::none;
  template <class In, class Out, bool Clamp, bool Last>
  using int8_stage = layers::int8::conv<geometry(In::dims), Filters, Clamp, Last>;
  template <class T, class In, class Out, class Act>
  using stage = std::conditional_t<In::dims.sequence, layers::sequence_conv_stage<T, Self, In, Out, Act>,
                                   layers::conv_stage<T, Self, In, Out, Act>>;
};
} // namespace detail

/// conv2d<Filters, kernel<KH, KW>, options...>: in [C, H, W] -> out [Filters, H', W'], with
/// H' = floor((H + pt + pb - dh (KH - 1) - 1) / sh) + 1 (likewise W'). Options: stride<S> or
/// stride<SH, SW>, padding<P> or padding<PH, PW>, same, valid (the default), dilation<D>,
/// groups<G>. Filters * C / G * KH * KW + Filters parameters. An elementwise activation after it is fused.
///
/// On a sequence<Steps, Features, C> (each step a [Features, C] frame, channels last) it
/// convolves over time (the height) and features (the width): sequence<Steps', Features', Filters>,
/// PyTorch's Conv2d on x.permute(0, 3, 1, 2). With `causal` the time axis is padded before the
/// signal only (d (KH - 1) zeros) and the features as padding<0, P> says; a causal conv2d with
/// stride 1 in time steps in streams, as RTNeural's Conv2D: kernel<5, 3>, causal,
/// dilation<2, 1>, stride<1, 2>, padding<0, 1> over a spectrogram of frames.
template <std::size_t Filters, class Kernel, class... Options>
struct conv2d
    : detail::conv_base<conv2d<Filters, Kernel, Options...>, Filters, Kernel::h, Kernel::w, false, Options...> {
  static std::string name() {
    return "conv2d<" + std::to_string(Filters) + ", kernel<" + std::to_string(Kernel::h) + ", " +
           std::to_string(Kernel::w) + ">" + detail::option_names<Options...>() + ">";
  }
};

/// conv1d<Filters, Kernel, options...>: in [C, L] -> out [Filters, L'], L' as for conv2d. Options
/// as conv2d's (one extent each), plus causal (all padding before the signal).
///
/// On a sequence<Steps, C> (time-major, as recurrent layers take) it convolves over time:
/// sequence<Steps, C> -> sequence<Steps', Filters>, PyTorch's Conv1d on x.transpose(1, 2). A
/// causal stride-1 conv1d on a sequence steps in streams (net.step) with a ring of its last
/// (Kernel - 1) d + 1 inputs, beside recurrent layers: conv1d<8, 3, causal, dilation<4>> is a
/// TCN or WaveNet layer.
template <std::size_t Filters, std::size_t Kernel, class... Options>
struct conv1d : detail::conv_base<conv1d<Filters, Kernel, Options...>, Filters, 1, Kernel, true, Options...> {
  static std::string name() {
    return "conv1d<" + std::to_string(Filters) + ", " + std::to_string(Kernel) + detail::option_names<Options...>() +
           ">";
  }
};

} // namespace CTNN_NAMESPACE
