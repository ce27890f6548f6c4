// chain<Encoder, Decoder>: two networks as one, the decoder's layers after the encoder's, when
// the decoder's input shape is the encoder's output shape (a compile error names both shapes
// otherwise). An autoencoder trains as one network; its two halves then run apart
// (split_chain, join_chain in ctnn/runtime/chain.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/network.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <string>
#include <type_traits>

namespace CTNN_NAMESPACE {
namespace detail {
/// What stands at the joint of a chain whose halves do not fit: a layer that rejects any input
/// with Diagnosis, so that the chained network's own check reports it (one error).
template <class Diagnosis>
struct chain_mismatch {
  static constexpr layer_role role = layer_role::stage;
  static constexpr layer_shape infer(const dims&) noexcept { return {1, {}}; }
  template <int, class, class>
  using diagnosis = Diagnosis;
  static std::string name() { return "chain_mismatch"; }
};

template <class E, class D>
struct chained;
template <class... Es, class DIn, class... Ds>
struct chained<network<Es...>, network<DIn, Ds...>> {
  using encoder = network<Es...>;
  using decoder = network<DIn, Ds...>;
  static constexpr bool fits = encoder::output_shape::dims == decoder::input_shape::dims;
  using mismatch =
      diag::decoder_input_is_not_encoder_output<diag::encoder_output<typename encoder::output_shape>,
                                                diag::decoder_input<typename decoder::input_shape>,
                                                diag::fix_start_the_decoder_with_the_encoders_output_shape>;
  using type = std::conditional_t<fits, network<Es..., Ds...>, network<Es..., chain_mismatch<mismatch>>>;
};
} // namespace detail

/// The network of Encoder's layers followed by Decoder's (without its input<>): chain<E, D>
/// computes D(E(x)). D's input shape must be E's output shape.
template <class Encoder, class Decoder>
using chain = typename detail::chained<Encoder, Decoder>::type;

} // namespace CTNN_NAMESPACE
