// per_step<Layer>: a vector layer applied to every time step of a sequence, with the same
// parameters at each step (PyTorch's nn.Linear on a [T, F] input, Keras' and RTNeural's
// time-distributed dense). Lowers to layers::per_step_stage (include/ctnn/layers/per_step.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t Steps, class Inner, std::size_t Cells>
struct per_step_stage;
} // namespace layers

/// per_step<Layer>: sequence<T, F> -> sequence<T, F'>, step t's output Layer(x_t), where Layer
/// maps shape<F> to shape<F'> (dense<Units>, channel_prelu, batch_norm, or a user's vector layer
/// without state). Layer's parameters and buffers, once (as Layer's on shape<F>). An elementwise
/// activation after it is applied per step too (fused when Layer takes it). In a stream
/// (net.step) it runs on the current step, so `lstm<H>, per_step<dense<N>>` streams N values per
/// step. per_step<batch_norm> normalizes each feature over every step of the batch in training
/// (PyTorch's BatchNorm1d on x.transpose(1, 2)) and with its running statistics at inference.
///
/// Spelled apart from dense on purpose: a dense<N> right after a recurrent layer is still the
/// error that suggests `last` (the usual intent: one prediction per sequence), and a network that
/// ends in a per-step layer is trained on sequence targets (a vector target is the loss's error,
/// which suggests `last`).
template <class Layer>
struct per_step {
  static_assert(LayerDescriptor<Layer> && Layer::role == layer_role::stage,
                "ctnn::per_step<Layer>: Layer is a layer with a stage, such as dense<Units>");
  using layer = Layer;
  static constexpr layer_role role = layer_role::stage;
  static constexpr fusion accepts = detail::accepts_of<Layer>() == fusion::none ? fusion::none : fusion::elementwise;
  /// Failure codes of its own; Layer's pass through unchanged (they are below these).
  enum error : int { none, expects_a_sequence = 1000, step_output_is_not_a_vector };
  /// One step's shape as Layer sees it.
  static constexpr dims step_of(const dims& in) noexcept { return dims{1, {in.extent[1]}}; }
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (!in.sequence) return {expects_a_sequence, {}};
    const layer_shape inner = Layer::infer(step_of(in));
    if (inner.error != 0) return inner;
    if (inner.out.rank != 1 || inner.out.sequence) return {step_output_is_not_a_vector, {}};
    return {none, dims{2, {in.extent[0], inner.out.extent[0]}, true}};
  }
  static constexpr std::size_t param_count(const dims& in) noexcept {
    return detail::param_count_of<Layer>(step_of(in));
  }
  static constexpr std::size_t buffer_count(const dims& in) noexcept {
    return detail::buffer_count_of<Layer>(step_of(in));
  }
  static constexpr std::size_t macs(const dims& in) noexcept {
    return in.extent[0] * detail::macs_of<Layer>(step_of(in));
  }
  template <int Error, class Index, class Received>
  static constexpr auto diagnosis_for() noexcept {
    if constexpr (Error == expects_a_sequence)
      return std::type_identity<
          diag::layer_rejects_input_shape<Index, per_step, diag::expects<diag::a_sequence>, diag::receives<Received>,
                                          diag::fix_use_the_layer_itself_on_vectors>>{};
    else if constexpr (Error == step_output_is_not_a_vector)
      return std::type_identity<
          diag::layer_rejects_input_shape<Index, per_step, diag::expects<diag::a_sequence>, diag::receives<Received>,
                                          diag::fix_give_per_step_a_layer_with_vector_output>>{};
    else // Layer's own failure on one step
      return detail::diagnosis_of<Layer, Error, Index, shape<Received::dims.extent[1]>>();
  }
  template <int Error, class Index, class Received>
  using diagnosis = typename decltype(diagnosis_for<Error, Index, Received>())::type;
  template <class T, class In, class Out, class Act>
  using stage = layers::per_step_stage<
      T, In::dims.extent[0],
      typename Layer::template stage<T, shape<In::dims.extent[1]>, shape<Out::dims.extent[1]>, Act>, 1>;
  static std::string name() { return "per_step<" + Layer::name() + ">"; }
};

} // namespace CTNN_NAMESPACE
