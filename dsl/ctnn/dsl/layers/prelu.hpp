// prelu and channel_prelu: PyTorch's nn.PReLU(), y = x for x > 0 and a x otherwise, with learnable
// slopes a starting at 0.25: one slope for every value (prelu, nn.PReLU()) or one per channel, the
// first dimension (channel_prelu, nn.PReLU(num_parameters=C): the features of a vector, the
// channels of maps [C, L] / [C, H, W]). Keeps the shape. Lowers to layers::prelu_stage.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t Slopes, std::size_t C, std::size_t S, std::size_t StepSize>
struct prelu_stage;
} // namespace layers

namespace detail {
template <bool PerChannel>
struct prelu_base {
  static constexpr layer_role role = layer_role::stage;
  enum error : int { none, sequence_input };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (PerChannel && in.sequence) return {sequence_input, {}};
    return {none, in};
  }
  static constexpr std::size_t param_count(const dims& in) noexcept { return PerChannel ? in.extent[0] : 1; }
  /// One slope on a sequence steps in streams, a step's features at a time.
  template <class T, class In, class Out, class Act>
  using stage = layers::prelu_stage<T, PerChannel ? In::dims.extent[0] : 1, In::dims.extent[0],
                                    In::size / In::dims.extent[0], In::dims.sequence ? In::dims.extent[1] : 0>;
};
} // namespace detail

/// One learnable slope for every value (nn.PReLU()).
struct prelu : detail::prelu_base<false> {
  static std::string name() { return "prelu"; }
};
/// One learnable slope per channel (nn.PReLU(num_parameters=C)); not on sequences (their first
/// dimension is time).
struct channel_prelu : detail::prelu_base<true> {
  template <int, class Index, class R>
  using diagnosis = diag::layer_rejects_input_shape<Index, channel_prelu, diag::expects<diag::features_or_channel_maps>,
                                                    diag::receives<R>, diag::fix_use_prelu_with_one_slope_on_sequences>;
  static std::string name() { return "channel_prelu"; }
};

} // namespace CTNN_NAMESPACE
