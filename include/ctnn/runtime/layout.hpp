// What the runtime knows of a network at compile time: its stages (runtime/lower.hpp), where each
// stage's parameters start, the capabilities each stage declares (layers/stage.hpp: the defaults
// live there, in namespace capability), and the layout of a stream's state. The batched passes,
// the streams, the two-core split and net<> ask it; it names no layer kind.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/index.hpp>
#include <ctnn/layers/stage.hpp>
#include <ctnn/runtime/lower.hpp>

#include <algorithm>
#include <array>
#include <cstddef>

namespace CTNN_NAMESPACE::detail {

template <class Model, class T>
struct network_layout {
  using lowered = detail::lowered<Model, T>;
  template <std::size_t S>
  using stage = typename lowered::template stage<S>;
  using input_shape = typename Model::input_shape;

  static constexpr std::size_t stage_count = lowered::stage_count;
  static constexpr std::size_t input_size = input_shape::size;
  static constexpr std::size_t output_size = Model::output_shape::size;
  static constexpr std::size_t lanes = kernels::lanes<T>;
  /// Where stage S's slice of the stored parameters starts.
  template <std::size_t S>
  static constexpr std::size_t offset = lowered::offsets[S];

  // ---- the capabilities each stage declares ----
  /// Stages the inference paths skip (e.g. dropout), and stages whose training forward takes
  /// random masks.
  template <std::size_t S>
  static constexpr bool identity_at_inference = capability::inference_identity<stage<S>>;
  template <std::size_t S>
  static constexpr bool stochastic = capability::stochastic<stage<S>>;
  template <std::size_t S>
  static constexpr bool steps = capability::steps<stage<S>>;
  template <std::size_t S>
  static constexpr bool ends_sequence = capability::ends_sequence<stage<S>>;

  /// The first stream id of each stage's masks (capability::noise_streams, numbered in order).
  static constexpr std::array<std::size_t, stage_count + 1> noise_ids = [] {
    std::array<std::size_t, stage_count + 1> o{};
    for_each_index<stage_count>([&](auto s) { o[s + 1] = o[s] + capability::noise_streams<stage<s>>; });
    return o;
  }();

  // ---- streams: one time step at a time ----
  /// Index of the stage that ends the sequence, or stage_count if none.
  static constexpr std::size_t sequence_end = [] {
    std::size_t e = stage_count;
    for_each_index<stage_count>([&](auto s) {
      if (ends_sequence<s> && e == stage_count) e = s;
    });
    return e;
  }();
  /// Where each stage's state starts in a stream's state, and the total.
  static constexpr std::array<std::size_t, stage_count + 1> state_offsets = [] {
    std::array<std::size_t, stage_count + 1> o{};
    for_each_index<stage_count>([&](auto s) {
      if constexpr (steps<s>) {
        static_assert(stage<s>::state_size % lanes == 0,
                      "a stage's state_size is whole registers (kernels::padded), so that the states after it "
                      "stay aligned (layers/stage.hpp)");
        o[s + 1] = o[s] + stage<s>::state_size;
      } else
        o[s + 1] = o[s];
    });
    return o;
  }();
  /// The widest row one step writes (a stepping stage's step_stride, or after the sequence's
  /// end a stage's out_stride): the step buffers are sized by it, not by whole sequences.
  static constexpr std::size_t step_stride = [] {
    std::size_t w = 1;
    for_each_index<stage_count>([&](auto s) {
      if constexpr (steps<s>)
        w = std::max<std::size_t>(w, stage<s>::step_stride);
      else if constexpr (s > sequence_end)
        w = std::max<std::size_t>(w, stage<s>::out_stride);
    });
    return w;
  }();
  static constexpr std::size_t step_features = input_shape::dims.sequence ? input_shape::dims.extent[1] : 1;
  static constexpr std::size_t step_output_size = [] {
    if constexpr (sequence_end < stage_count || !input_shape::dims.sequence)
      return output_size;
    else
      return output_size / input_shape::dims.extent[0]; // one step of the output sequence
  }();

  // ---- the stored parameters ----
  /// Calls f(stage, begin, end) for each range of trainable parameters, stage by stage.
  template <class F>
  static void for_each_trainable_stage(F&& f) {
    for_each_index<stage_count>([&](auto s) {
      constexpr std::size_t off = offset<s>;
      capability::for_each_trainable_range<stage<s>>(
          [&](std::size_t b, std::size_t e) { f(std::size_t(s), off + b, off + e); });
    });
  }
  /// An array in the stored layout to PyTorch's order and layout, and back.
  static void to_logical(const T* stored, T* logical) noexcept {
    std::size_t at = 0;
    for_each_index<stage_count>([&](auto s) {
      stage<s>::export_params(stored + offset<s>, logical + at);
      at += stage<s>::param_count + capability::buffer_count<stage<s>>;
    });
  }
  static void from_logical(const T* logical, T* stored) noexcept {
    std::size_t at = 0;
    for_each_index<stage_count>([&](auto s) {
      stage<s>::import_params(logical + at, stored + offset<s>);
      at += stage<s>::param_count + capability::buffer_count<stage<s>>;
    });
  }
};

} // namespace CTNN_NAMESPACE::detail
