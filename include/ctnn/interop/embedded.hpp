// Weights inside the binary: a generated header (examples/pytorch/ctnn_export.py writes
// NAME_weights.hpp) holds the parameters as constexpr data with the topology they belong to, and
// make<Model>(weights) builds the network with no file system. Weights generated for another
// topology are a compile error naming the first layer that differs.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/network.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>

namespace CTNN_NAMESPACE {

/// N parameters of type T for a network of topology Topology, in PyTorch's order and layout
/// (net::export_parameters). Generated headers define one as
///   inline constexpr ctnn::embedded_parameters<ctnn::network<...>, float, N> embedded_weights{{...}};
template <class Topology, class T, std::size_t N>
struct embedded_parameters {
  using topology = Topology;
  using value_type = T;
  static constexpr std::size_t size = N;
  std::array<T, N> values;
};

namespace detail {
template <class Topology, class T, std::size_t N>
struct is_embedded_parameters<embedded_parameters<Topology, T, N>> : std::true_type {};

template <class M, std::size_t I>
constexpr auto layer_or_none() {
  if constexpr (I < M::layer_count)
    return std::type_identity<typename M::template layer<I>>{};
  else
    return std::type_identity<diag::no_layer>{};
}
/// The first index at which the layers of A and B differ (npos if none).
template <class A, class B>
constexpr std::size_t first_differing_layer() noexcept {
  constexpr std::size_t n = std::max(A::layer_count, B::layer_count);
  return []<std::size_t... I>(std::index_sequence<I...>) {
    constexpr bool same[] = {std::is_same_v<typename decltype(layer_or_none<A, I>())::type,
                                            typename decltype(layer_or_none<B, I>())::type>...,
                             true};
    for (std::size_t i = 0; i < sizeof...(I); ++i)
      if (!same[i]) return i;
    return npos;
  }
  (std::make_index_sequence<n>{});
}
} // namespace detail

/// The network of topology Model with the embedded parameters `weights`: no file, no parsing.
/// Model must be the topology the weights were generated for, layer by layer; otherwise one
/// compile error names the first differing layer: embedded_weights_for_another_topology<
/// layer_index<I>, network_layer<Model's layer I>, weights_layer<the weights' layer I>>.
template <class Model, class Topology, class T, std::size_t N>
requires ctnn::Model<Model> net<Model, T> make(const embedded_parameters<Topology, T, N>& weights) {
  constexpr std::size_t differs = detail::first_differing_layer<Model, Topology>();
  if constexpr (differs != detail::npos) {
    static_assert(diag::embedded_weights_for_another_topology<
                      diag::layer_index<differs>,
                      diag::network_layer<typename decltype(detail::layer_or_none<Model, differs>())::type>,
                      diag::weights_layer<typename decltype(detail::layer_or_none<Topology, differs>())::type>>::ok,
                  "make<Model>(embedded weights): the weights were generated for another topology; the failed "
                  "condition names the first differing layer (regenerate the header with ctnn_export.py)");
    return net<Model, T>{};
  } else {
    static_assert(N == Model::param_count + Model::buffer_count,
                  "embedded_parameters: the count differs from the topology's");
    net<Model, T> n;
    n.import_parameters(std::span<const T>(weights.values.data(), N));
    return n;
  }
}

} // namespace CTNN_NAMESPACE
