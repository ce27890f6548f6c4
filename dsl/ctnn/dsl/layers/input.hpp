// input<shape<...>>: declares the shape of one sample; layer 0 of every network.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

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

} // namespace CTNN_NAMESPACE
