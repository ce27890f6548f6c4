// Type rewrites of a model: the same network with some layers taken out or replaced, computed
// from its descriptors alone. batch_norm_folded<Model> is Model without the layers that fold
// into the layer before them (the protocol's folding_layer: batch_norm), inside blocks too: the
// topology fold_batch_norm (runtime/fold.hpp) returns. The composite protocol (inner_network and
// with_layers, dsl/protocol.hpp) lets it rebuild blocks. Names no layer kind.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/network.hpp>
#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE {

namespace detail {
template <class Block, class InnerNetwork>
struct rebuilt_block;
template <class Block, class In, class... Ls>
struct rebuilt_block<Block, network<In, Ls...>> {
  using type = typename Block::template with_layers<Ls...>;
};

template <class Model>
struct folded_model;
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
      using inner = typename L::template inner_network<CTNN_SHAPE_OF(Model::layer_input(I))>;
      return std::type_identity<
          network<Kept..., typename rebuilt_block<L, typename folded_model<inner>::type>::type>>{};
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
template <class Block>
struct at_inner { // layer I of a block's inner network is its inner index I - 1
  template <std::size_t I>
  using at = diag::in_block<Block, diag::inner_index<I - 1>>;
};
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
      using inner = typename L::template inner_network<CTNN_SHAPE_OF(Model::layer_input(I))>;
      using found = typename decltype(fold_diagnosis<inner, at_inner<typename Where::template at<I>>>())::type;
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

} // namespace detail

/// Model without its folding layers (batch_norm; inside blocks too): what fold_batch_norm
/// returns a network of.
template <class Model>
using batch_norm_folded = typename detail::folded_model<Model>::type;

} // namespace CTNN_NAMESPACE
