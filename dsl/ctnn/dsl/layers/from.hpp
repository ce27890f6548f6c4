// from<I>: the first layer of a branch in the block right after inputs<...>: the branch reads
// input I (its shape as declared). `parallel<concat, branch<from<0>, lstm<16>, last>,
// branch<from<1>, dense<8>, relu>>` joins a recurrent branch over a price window with a dense
// branch over static features. Lowers to layers::from_stage (a copy of input I's values; its
// gradient goes back to input I's place).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t Offset, std::size_t InSize, std::size_t OutSize>
struct from_stage;
} // namespace layers

/// from<I>: input I of inputs<...> (see the top of this file).
template <std::size_t I>
struct from {
  static constexpr layer_role role = layer_role::stage;
  /// Network protocol: which input a branch that starts with this layer reads.
  static constexpr std::size_t reads_input = I;
  enum error : int { none, no_inputs, no_such_input };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (in.parts == 0) return {no_inputs, {}};
    if (I >= in.parts) return {no_such_input, {}};
    return {none, in.part(I)};
  }
  template <int E, class Index, class R>
  using diagnosis = std::conditional_t<
      E == no_inputs,
      diag::from_reads_no_inputs<Index, from, diag::receives<R>,
                                 diag::fix_put_from_first_in_a_branch_of_the_block_right_after_inputs>,
      diag::no_such_input<Index, from, diag::receives<R>, diag::fix_read_one_of_the_declared_inputs>>;
  /// In: the declared inputs<...> (what layer 1 receives), which knows where input I starts.
  template <class T, class In, class Out, class Act>
  using stage = layers::from_stage<T, In::template offset<I>, In::size, Out::size>;
  static std::string name() { return "from<" + std::to_string(I) + ">"; }
};

} // namespace CTNN_NAMESPACE
