// fake_quantize: PyTorch's FakeQuantize as quantization-aware training puts it on activations
// (torch.ao.quantization.FakeQuantize with a MovingAverageMinMaxObserver, quint8 codes 0..127,
// per-tensor affine). In training it observes the batch's range (the first batch's [min, max],
// then a moving average with constant 0.01), and passes x rounded to that range's 128 codes;
// its gradient passes where x was inside the range (straight-through estimator). At inference it
// rounds with the range it has. Its two buffers (the observed min and max) are saved with the
// network; [0, 0] means none observed yet (the layer is then the identity). ctnn::quantize
// leaves it out and codes the activations there as it rounded them: with the scale and zero
// point of the range it observed (calibrating them only if it observed none).
// Lowers to layers::fake_quantize_stage (include/ctnn/layers/fake_quantize.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t N, class Spec>
struct fake_quantize_stage;
} // namespace layers

/// fake_quantize: any shape but a sequence; no parameters, 2 buffers.
struct fake_quantize {
  static constexpr double averaging_constant = 0.01; ///< PyTorch's MovingAverageMinMaxObserver
  static constexpr int quant_min = 0, quant_max = 127;
  static constexpr layer_role role = layer_role::stage;
  static constexpr narrow_role narrow = narrow_role::observe;
  enum error : int { none, receives_a_sequence };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (in.sequence) return {receives_a_sequence, {}};
    return {none, in};
  }
  static constexpr std::size_t buffer_count(const dims&) noexcept { return 2; }
  template <class T, class In, class Out, class>
  using stage = layers::fake_quantize_stage<T, In::size, fake_quantize>;
  static std::string name() { return "fake_quantize"; }
};

} // namespace CTNN_NAMESPACE
