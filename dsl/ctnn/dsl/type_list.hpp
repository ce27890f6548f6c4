// type_at<I, Ts...>: O(1)-depth indexing into a pack by indexed inheritance (no recursion).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/index.hpp>

#include <cstddef>
#include <utility>

namespace CTNN_NAMESPACE::detail {

template <std::size_t I, class T>
struct indexed {
  using type = T;
};
template <class Seq, class... Ts>
struct indexer;
template <std::size_t... I, class... Ts>
struct indexer<std::index_sequence<I...>, Ts...> : indexed<I, Ts>... {};

template <std::size_t I, class T>
indexed<I, T> select(indexed<I, T>);

template <std::size_t I, class... Ts>
using type_at = typename decltype(select<I>(indexer<std::index_sequence_for<Ts...>, Ts...>{}))::type;

template <class...>
inline constexpr bool dependent_false = false;

/// A list of types (a composite block's inner networks).
template <class... Ts>
struct type_list {
  static constexpr std::size_t size = sizeof...(Ts);
};
/// Tmpl<Ts...> for type_list<Ts...>.
template <template <class...> class Tmpl, class List>
struct apply_list;
template <template <class...> class Tmpl, class... Ts>
struct apply_list<Tmpl, type_list<Ts...>> {
  using type = Tmpl<Ts...>;
};

} // namespace CTNN_NAMESPACE::detail
