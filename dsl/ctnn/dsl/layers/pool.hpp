// Pools: max_pool2d / avg_pool2d<window<KH, KW>, options...>, max_pool1d / avg_pool1d<window<K>,
// options...> (PyTorch's MaxPool / AvgPool: the stride defaults to the window, zero padding, the
// average counts padding as PyTorch's count_include_pad=True), and global_avg_pool ([C, ...] ->
// [C]). Lower to layers::pool_stage and layers::global_avg_pool_stage.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/layers/window.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, class Descriptor, class In, class Out>
struct pool_stage;
template <class T, std::size_t Channels, std::size_t Spatial>
struct global_avg_pool_stage;
namespace int8 {
template <window_geometry G, bool Clamp, bool Last>
struct max_pool;
template <std::size_t C, std::size_t N, bool Clamp, bool Last>
struct global_avg_pool;
} // namespace int8
} // namespace layers

namespace detail {
template <class Self, class Window, bool Max, bool OneD, class... Options>
struct pool_base {
  static_assert((is_window_option<Options> && ...) && !has_option<same, Options...> && !has_option<causal, Options...>,
                "max_pool/avg_pool: the options are stride<...>, padding<...>, dilation<...> (max pools), valid");
  static constexpr bool is_max = Max;
  static constexpr layer_role role = layer_role::stage;
  static constexpr std::pair<window_geometry, int> place(const dims& in) noexcept {
    return place_window<Options...>(in, OneD, OneD ? 1 : Window::h, OneD ? Window::h : Window::w, true);
  }
  static constexpr window_geometry geometry(const dims& in) noexcept { return place(in).first; }
  static constexpr layer_shape infer(const dims& in) noexcept {
    const auto [g, e] = place(in);
    if (e != window_ok) return {e, {}};
    return {0, window_output(g, g.c, OneD)};
  }
  template <int Error, class Index, class Received>
  using diagnosis = window_diagnosis<
      Error, Index, Self, Received, OneD ? 2 : 3,
      std::conditional_t<OneD, diag::fix_reshape_to_channels_length, diag::fix_reshape_to_channels_height_width>>;
  template <class T, class In, class Out, class>
  using stage = layers::pool_stage<T, Self, In, Out>;
  /// int8 (ctnn::quantize): max pools (the max of the codes: quantization keeps the order).
  static constexpr narrow_role narrow = Max ? narrow_role::stage : narrow_role::none;
  template <class In, class Out, bool Clamp, bool Last>
  using int8_stage = layers::int8::max_pool<geometry(In::dims), Clamp, Last>;
  static std::string name(const char* kind) {
    return std::string(kind) + "<window<" + std::to_string(Window::h) + (OneD ? "" : ", " + std::to_string(Window::w)) +
           ">" + option_names<Options...>() + ">";
  }
};
} // namespace detail

/// max_pool2d<window<KH, KW>, options...>: in [C, H, W] -> out [C, H', W'], the maximum of each
/// window (NaN propagates); backward gives each output's gradient to the first maximum of its
/// window (row-major order), as PyTorch does.
template <class Window, class... Options>
struct max_pool2d : detail::pool_base<max_pool2d<Window, Options...>, Window, true, false, Options...> {
  static std::string name() { return max_pool2d::pool_base::name("max_pool2d"); }
};
/// avg_pool2d<window<KH, KW>, options...>: the mean of each window, padding counted.
template <class Window, class... Options>
struct avg_pool2d : detail::pool_base<avg_pool2d<Window, Options...>, Window, false, false, Options...> {
  static std::string name() { return avg_pool2d::pool_base::name("avg_pool2d"); }
};
/// max_pool1d<window<K>, options...>: in [C, L] -> out [C, L'].
template <class Window, class... Options>
struct max_pool1d : detail::pool_base<max_pool1d<Window, Options...>, Window, true, true, Options...> {
  static std::string name() { return max_pool1d::pool_base::name("max_pool1d"); }
};
/// avg_pool1d<window<K>, options...>: in [C, L] -> out [C, L'].
template <class Window, class... Options>
struct avg_pool1d : detail::pool_base<avg_pool1d<Window, Options...>, Window, false, true, Options...> {
  static std::string name() { return avg_pool1d::pool_base::name("avg_pool1d"); }
};

/// global_avg_pool: in [C, ...] (rank 2 or 3) -> out [C], the mean over all positions of each
/// channel (PyTorch's AdaptiveAvgPool2d(1) followed by flatten).
struct global_avg_pool {
  static constexpr layer_role role = layer_role::stage;
  enum error : int { none, wrong_rank };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (in.rank < 2) return {wrong_rank, {}};
    return {none, dims{1, {in.extent[0]}}};
  }
  template <int, class Index, class Received>
  using diagnosis =
      diag::layer_rejects_input_shape<Index, global_avg_pool, diag::expects<diag::rank<3>>, diag::receives<Received>,
                                      diag::fix_reshape_to_channels_height_width>;
  template <class T, class In, class Out, class>
  using stage = layers::global_avg_pool_stage<T, In::dims.extent[0], In::size / In::dims.extent[0]>;
  /// int8 (ctnn::quantize): the codes summed per channel, requantized.
  static constexpr narrow_role narrow = narrow_role::stage;
  template <class In, class Out, bool Clamp, bool Last>
  using int8_stage = layers::int8::global_avg_pool<In::dims.extent[0], In::size / In::dims.extent[0], Clamp, Last>;
  static std::string name() { return "global_avg_pool"; }
};

} // namespace CTNN_NAMESPACE
