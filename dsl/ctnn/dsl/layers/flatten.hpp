// flatten and reshape<...>: views. The data stays where it is (channel-major, as PyTorch's);
// only the shape the next layer sees changes. No stage, no copy.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {

/// flatten: in [D0, D1, ...] -> out [D0 * D1 * ...], in channel-major order (PyTorch's).
struct flatten {
  static constexpr layer_role role = layer_role::view;
  static constexpr layer_shape infer(const dims& in) noexcept { return {0, dims{1, {in.size()}}}; }
  static std::string name() { return "flatten"; }
};

/// reshape<D...>: the same elements seen as shape<D...>; the sizes must agree.
template <std::size_t... D>
struct reshape {
  using shape_type = shape<D...>;
  static constexpr layer_role role = layer_role::view;
  enum error : int { none, size_differs };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (in.size() != shape_type::size) return {size_differs, {}};
    return {none, shape_type::dims};
  }
  template <int, class Index, class Received>
  using diagnosis = diag::layer_rejects_input_shape<Index, reshape, diag::expects<diag::size<shape_type::size>>,
                                                    diag::receives<Received>, diag::fix_reshape_to_as_many_elements>;
  static std::string name() { return "reshape<" + to_string(shape_type::dims).substr(6); }
};

} // namespace CTNN_NAMESPACE
