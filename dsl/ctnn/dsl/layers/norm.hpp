// layer_norm: normalization over each sample (each step of a sequence), as PyTorch's
// nn.LayerNorm. Lowers to layers::layer_norm_stage (include/ctnn/layers/norm.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t Groups, std::size_t Size>
struct layer_norm_stage;
} // namespace layers

/// layer_norm: y = (x - mean) / sqrt(var + 1e-5) * gamma + beta, mean and (biased) variance over
/// the whole sample, or over the features of each step of a sequence<Steps, F> (PyTorch's
/// nn.LayerNorm(sample shape), resp. nn.LayerNorm(F) on a sequence). gamma and beta have one
/// value per normalized element (2 x that many parameters, PyTorch's order weight, bias);
/// they start at 1 and 0. The same in training and at inference.
struct layer_norm {
  static constexpr layer_role role = layer_role::stage;
  static constexpr layer_shape infer(const dims& in) noexcept { return {0, in}; }
  /// Elements normalized together.
  static constexpr std::size_t group(const dims& in) noexcept { return in.sequence ? in.extent[1] : in.size(); }
  static constexpr std::size_t param_count(const dims& in) noexcept { return 2 * group(in); }
  template <class T, class In, class Out, class>
  using stage = layers::layer_norm_stage<T, In::size / group(In::dims), group(In::dims)>;
  static std::string name() { return "layer_norm"; }
};

} // namespace CTNN_NAMESPACE
