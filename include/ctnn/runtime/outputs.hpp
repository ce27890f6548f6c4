// What net(x) returns: one tensor, or, for a network ending in heads<...>, a std::tuple with one
// tensor per head (`auto [policy, value] = net(x);`). Batched passes keep the heads' values in
// one row, head after head; outputs<>::split turns such a row into the tuple.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/tensor.hpp>
#include <ctnn/dsl/type_list.hpp>

#include <algorithm>
#include <cstddef>
#include <tuple>

namespace CTNN_NAMESPACE::detail {

/// Parts: the model's output_parts (a type_list of shapes).
template <class T, class Parts>
struct outputs;
/// One output: a tensor.
template <class T, class Shape>
struct outputs<T, type_list<Shape>> {
  using type = tensor<T, Shape>;
  static constexpr std::size_t count = 1;
  static type split(const T* row) noexcept {
    type y;
    std::copy_n(row, Shape::size, y.data());
    return y;
  }
};
/// Several heads: a tuple of tensors.
template <class T, class... Shapes>
struct outputs<T, type_list<Shapes...>> {
  using type = std::tuple<tensor<T, Shapes>...>;
  static constexpr std::size_t count = sizeof...(Shapes);
  static type split(const T* row) noexcept {
    type y;
    std::size_t at = 0;
    std::apply([&](auto&... head) { ((std::copy_n(row + at, head.size(), head.data()), at += head.size()), ...); }, y);
    return y;
  }
};

} // namespace CTNN_NAMESPACE::detail
