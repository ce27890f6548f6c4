// Compile-time loops over indices, for the runtime's walks over heterogeneous stages.
#pragma once

#include <ctnn/core/config.hpp>

#include <cstddef>
#include <type_traits>
#include <utility>

namespace CTNN_NAMESPACE::detail {

/// Calls f(std::integral_constant<std::size_t, I>{}) for I = 0 .. N-1 in order. Expands into a
/// braced list rather than a fold so deep networks stay under Clang's 256 nesting limit.
template <std::size_t N, class F>
constexpr void for_each_index(F&& f) {
  if constexpr (N > 0) {
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      [[maybe_unused]] const int order[] = {(f(std::integral_constant<std::size_t, I>{}), 0)...};
    }
    (std::make_index_sequence<N>{});
  }
}

/// The same in reverse order (N-1 down to 0), for backward passes.
template <std::size_t N, class F>
constexpr void for_each_index_reversed(F&& f) {
  for_each_index<N>([&](auto k) { f(std::integral_constant<std::size_t, N - 1 - k>{}); });
}

} // namespace CTNN_NAMESPACE::detail
