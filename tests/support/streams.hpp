// Streams against the whole sequence: the one check the stream tests share.
#pragma once

#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace ctnn::test {

/// Steps one stream of n through the sequence x (Steps x Features values) and returns the largest
/// difference from n(x): at every step for a network whose output is a sequence, at the last step
/// for one that ends the sequence (`last`).
template <class Model, class T>
double stream_difference(const net<Model, T>& n, const T* x) {
  using In = typename Model::input_shape;
  constexpr std::size_t steps = In::dims.extent[0], features = In::dims.extent[1];
  constexpr bool per_step = Model::output_shape::dims.sequence;
  typename net<Model, T>::input_type whole_x;
  std::copy_n(x, whole_x.size(), whole_x.begin());
  const auto whole = n(whole_x);
  auto state = n.make_state();
  double worst = 0;
  for (std::size_t t = 0; t < steps; ++t) {
    typename net<Model, T>::step_input_type xt;
    std::copy_n(x + t * features, features, xt.data());
    const auto yt = n.step(state, xt);
    if (per_step || t + 1 == steps)
      for (std::size_t k = 0; k < yt.size(); ++k)
        worst = std::max(worst, double(std::abs(yt[k] - whole[(per_step ? t * yt.size() : 0) + k])));
  }
  return worst;
}

} // namespace ctnn::test
