// fold_batch_norm(net): for deployment, the network without the layers that fold into the layer
// before them (batch_norm into dense or conv; inside blocks too). The topology it returns is the
// type rewrite batch_norm_folded<Model> of dsl/rewrite.hpp; here the values are folded, by each
// folding layer's own fold_into (dsl/protocol.hpp). Names no layer kind.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/index.hpp>
#include <ctnn/dsl/rewrite.hpp>
#include <ctnn/runtime/network.hpp>

#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail {
/// Appends Model's values (from `values`, export order) to out with every folding layer's
/// folded into the layer before it (its fold_into), inside blocks too; returns the number of
/// values read.
template <class Model, class T>
std::size_t fold_values(const T* values, std::vector<T>& out) {
  std::size_t at = 0, previous = 0; // where the values of the last layer kept start in out
  for_each_index<Model::layer_count>([&](auto i) {
    if constexpr (i > 0) {
      using L = typename Model::template layer<i>;
      const std::size_t count = Model::layer_params(i) + Model::layer_buffers(i);
      if constexpr (folding_layer<L>) {
        L::fold_into(values + at, count, out.data() + previous, Model::layer_params(i - 1));
      } else {
        previous = out.size();
        std::size_t done = 0;
        if constexpr (composite_layer<L>) // the inner networks' values come first in the block's
          [&]<class... Nets>(type_list<Nets...>) {
            ((done += fold_values<Nets>(values + at + done, out)), ...);
          }(typename L::template inner_networks<typename Model::template input_of<i>>{});
        out.insert(out.end(), values + at + done, values + at + count);
      }
      at += count;
    }
  });
  return at;
}
} // namespace detail

/// For deployment: a network of topology batch_norm_folded<Model> that computes what `trained`
/// computes at inference, with every batch_norm (inside blocks too) folded into the dense or conv
/// layer right before it: W' = W gamma / sqrt(running_var + eps) per output channel, b' = (b -
/// running_mean) gamma / sqrt(running_var + eps) + beta (computed in double, rounded once). A
/// batch_norm after any other layer (or first in a block) is a compile error
/// (diag::batch_norm_cannot_fold) naming it.
template <class Model, class T>
auto fold_batch_norm(const net<Model, T>& trained) {
  using problem = typename decltype(detail::fold_diagnosis<Model, detail::at_top>())::type;
  if constexpr (!problem::ok) {
    static_assert(problem::ok,
                  "fold_batch_norm: a batch_norm folds only into a dense or conv layer right before it; the "
                  "failed condition names it and the layer before it");
    return trained;
  } else {
    using folded = batch_norm_folded<Model>;
    const std::vector<T> values = trained.export_parameters();
    std::vector<T> out;
    out.reserve(net<folded, T>::value_count);
    detail::fold_values<Model>(values.data(), out);
    return net<folded, T>(std::span<const T>(out));
  }
}

} // namespace CTNN_NAMESPACE
