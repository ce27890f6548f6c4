// input<shape<...>>: declares the shape of one sample; layer 0 of every network.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>
#include <type_traits>

namespace CTNN_NAMESPACE {

/// input<shape<D...>>: the shape of one sample. Must be layer 0; every extent positive.
template <Shape S>
struct input {
  using shape_type = S;
  static constexpr layer_role role = layer_role::input;
  enum error : int { none, empty_shape };
  static constexpr layer_shape infer(const dims&) noexcept {
    if (S::rank == 0 || S::size == 0) return {empty_shape, {}};
    return {none, S::dims};
  }
  template <int, class Index, class>
  using diagnosis = diag::input_shape_is_empty<Index, input, diag::fix_give_every_dimension_a_positive_extent>;
  static std::string name() { return "input<" + to_string(S::dims) + ">"; }
};

/// inputs<S...>: several inputs (e.g. inputs<sequence<32, 4>, shape<12>>: a price window and
/// static features), as layer 0. net(x0, x1, ...) takes one tensor per input; the values are one
/// input after the other (as a shape, inputs<S...> is that flat row, so a dataset of
/// inputs<S...> holds both). The block right after it reads them: each branch starts with
/// from<I> (layers/from.hpp), and every input must be read.
template <Shape... S>
struct inputs {
  static_assert(sizeof...(S) >= 1 && sizeof...(S) <= max_inputs, "inputs<S...>: between 1 and 4 input shapes");
  // as a shape: every input's values, one input after the other
  static constexpr std::size_t count = sizeof...(S);
  static constexpr std::size_t rank = 1;
  static constexpr std::size_t size = (S::size + ...);
  static constexpr ctnn::dims dims = [] {
    ctnn::dims d{1, {size}};
    d.parts = count;
    const ctnn::dims each[] = {S::dims...};
    for (std::size_t i = 0; i < count; ++i) {
      d.part_rank[i] = each[i].rank;
      d.part_extent[i] = each[i].extent;
      d.part_sequence[i] = each[i].sequence;
      d.part_channels[i] = each[i].channels;
    }
    return d;
  }();
  /// Where input I starts in the row.
  template <std::size_t I>
  static constexpr std::size_t offset = dims.part_offset(I);

  // as layer 0
  using shape_type = inputs;
  static constexpr layer_role role = layer_role::input;
  enum error : int { none, empty_shape };
  static constexpr layer_shape infer(const ctnn::dims&) noexcept {
    if (((S::rank == 0 || S::size == 0) || ...)) return {empty_shape, {}};
    return {none, dims};
  }
  template <int, class Index, class>
  using diagnosis = diag::input_shape_is_empty<Index, inputs, diag::fix_give_every_dimension_a_positive_extent>;
  static std::string name() { return to_string(dims); }
};
namespace detail {
template <Shape... S>
struct is_shape<inputs<S...>> : std::true_type {};
} // namespace detail

} // namespace CTNN_NAMESPACE
