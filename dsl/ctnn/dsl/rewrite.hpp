// Type rewrites of a model: the same network with some layers taken out or replaced, computed
// from its descriptors alone. batch_norm_folded<Model> is Model without the layers that fold
// into the layer before them (the protocol's folding_layer: batch_norm), inside blocks too: the
// topology fold_batch_norm (runtime/fold.hpp) returns. The composite protocol (inner_networks and
// with_inner, dsl/protocol.hpp) lets it rebuild blocks. Names no layer kind.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/network.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE {

namespace detail {
template <class Model>
struct folded_model;
/// Block over its inner networks Nets with their folding layers folded.
template <class Block, class Nets>
struct rebuilt_block;
template <class Block, class... Nets>
struct rebuilt_block<Block, type_list<Nets...>> {
  using type = typename Block::template with_inner<typename folded_model<Nets>::type...>;
};
/// Layers I.. of Model without folding layers, blocks folded inside, after the Kept ones.
template <class Model, std::size_t I, class Kept, bool Done = (I >= Model::layer_count)>
struct fold_walk {
  using type = Kept;
};
template <class Model, std::size_t I, class... Kept>
struct fold_walk<Model, I, network<Kept...>, false> {
  using L = typename Model::template layer<I>;
  static constexpr auto next() noexcept {
    if constexpr (folding_layer<L>)
      return std::type_identity<network<Kept...>>{};
    else if constexpr (I > 0 && composite_layer<L>) {
      using nets = typename L::template inner_networks<typename Model::template input_of<I>>;
      return std::type_identity<network<Kept..., typename rebuilt_block<L, nets>::type>>{};
    } else
      return std::type_identity<network<Kept..., L>>{};
  }
  using type = typename fold_walk<Model, I + 1, typename decltype(next())::type>::type;
};
template <class Model>
struct folded_model : fold_walk<Model, 0, network<>> {};

/// The diagnostic of the first folding layer that cannot fold into the layer before it, looking
/// inside blocks; At<I> names layer I where Model stands.
struct at_top {
  template <std::size_t I>
  using at = diag::layer_index<I>;
};
template <class Block, std::size_t K, bool Several>
struct at_inner { // layer I of a block's inner network is its inner index I - 1
  template <std::size_t I>
  using at = diag::in_block<Block, diag::inner_index<I - 1>>;
};
template <class Block, std::size_t K>
struct at_inner<Block, K, true> { // ... in its branch K
  template <std::size_t I>
  using at = diag::in_block<Block, diag::in_branch<diag::branch_index<K>, diag::inner_index<I - 1>>>;
};
/// The first failure of the inner networks Nets (K on) of the block at Where.
template <class Block, class Nets, std::size_t K = 0>
constexpr auto inner_fold_diagnosis() noexcept;
template <class Model, class Where>
constexpr auto fold_diagnosis() noexcept;
template <class Model, class Where, std::size_t I>
constexpr auto fold_diagnosis_from() noexcept {
  if constexpr (I >= Model::layer_count) {
    return std::type_identity<diag::no_error>{};
  } else {
    using L = typename Model::template layer<I>;
    if constexpr (I == 0) {
      return fold_diagnosis_from<Model, Where, 1>();
    } else if constexpr (folding_layer<L>) {
      using previous = typename Model::template layer<I - 1>;
      if constexpr (!L::template folds_into<previous>)
        return std::type_identity<typename L::template fold_diagnosis<typename Where::template at<I>, previous>>{};
      else
        return fold_diagnosis_from<Model, Where, I + 1>();
    } else if constexpr (composite_layer<L>) {
      using nets = typename L::template inner_networks<typename Model::template input_of<I>>;
      using found = typename decltype(inner_fold_diagnosis<typename Where::template at<I>, nets>())::type;
      if constexpr (!found::ok)
        return std::type_identity<found>{};
      else
        return fold_diagnosis_from<Model, Where, I + 1>();
    } else {
      return fold_diagnosis_from<Model, Where, I + 1>();
    }
  }
}
template <class Model, class Where>
constexpr auto fold_diagnosis() noexcept {
  return fold_diagnosis_from<Model, Where, 0>();
}
template <class Block, class Nets, std::size_t K>
constexpr auto inner_fold_diagnosis() noexcept {
  if constexpr (K == Nets::size) {
    return std::type_identity<diag::no_error>{};
  } else {
    using net = typename decltype(
        []<class... Ns>(type_list<Ns...>) { return std::type_identity<type_at<K, Ns...>>{}; }(Nets{}))::type;
    using found = typename decltype(fold_diagnosis<net, at_inner<Block, K, (Nets::size > 1)>>())::type;
    if constexpr (!found::ok)
      return std::type_identity<found>{};
    else
      return inner_fold_diagnosis<Block, Nets, K + 1>();
  }
}

} // namespace detail

/// Model without its folding layers (batch_norm; inside blocks too): what fold_batch_norm
/// returns a network of.
template <class Model>
using batch_norm_folded = typename detail::folded_model<Model>::type;

} // namespace CTNN_NAMESPACE
