// What the composite blocks of the narrow forms (int8::block, bf16::block) share: how their
// branches are merged, and where their inner layers find their float views (net.layer<I>() of a
// residual or parallel block), so that quantize and to_bf16 reach every layer inside.
#pragma once

#include <ctnn/core/config.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE::layers::narrow {

/// The merges: the elementwise sum (residual, parallel<add>), the branches' outputs one after
/// the other (parallel<concat>).
struct add {
  static constexpr bool concatenates = false;
};
struct concat {
  static constexpr bool concatenates = true;
};

/// Layer I of branch B of a parallel block (I counted from 1: an inner network's layer 0 is its
/// input): parallel_view's branch<B>().layer<I - 1>().
struct parallel_views {
  template <std::size_t B, std::size_t I, class View>
  static auto layer(const View& v) noexcept {
    return v.template branch<B>().template layer<I - 1>();
  }
  static std::string name(std::size_t b) { return "branch " + std::to_string(b); }
};
/// A residual block's: branch 0 is the skip path (its projection(), if any), 1 the inner layers.
struct residual_views {
  template <std::size_t B, std::size_t I, class View>
  static auto layer(const View& v) noexcept {
    if constexpr (B == 0)
      return v.projection();
    else
      return v.template layer<I - 1>();
  }
  static std::string name(std::size_t b) { return b == 0 ? "the projection" : "the inner layers"; }
};

} // namespace CTNN_NAMESPACE::layers::narrow
