// Quantization-aware training: the trainer's option `.quantization_aware = true` runs each
// training step's forward and backward passes with every weight fake-quantized as
// ctnn::quantize (or, for a network of its form, ctnn::quantize_sparse) will quantize it, and
// applies the update to the float weights (a straight-through estimator: the gradient with respect
// to the fake-quantized weights goes to the float ones unchanged). The deployed integer network
// then has the weights the training saw.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/runtime/network.hpp>
#include <ctnn/runtime/quantize.hpp>
#include <ctnn/runtime/quantize_sparse.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace CTNN_NAMESPACE::detail {

/// The first layer of Model without an integer form (0: ctnn::quantize or ctnn::quantize_sparse
/// takes the network).
template <class Model>
constexpr std::size_t first_without_integer_form() noexcept {
  if constexpr (sparse::plan<Model>::first_unsupported == 0)
    return 0;
  else
    return quant::plan<Model>::first_unsupported;
}

/// quantize_sparse's weights, fake-quantized in place: the sparse layer's weights and biases to
/// steps of 1/127 (its int16 accumulator), the dense layers' weights to steps of 1/64 clamped to
/// +-127/64 (int8) and their biases to steps of 1/(127 x 64) (int32 sums).
template <class Model, class T>
void fake_quantize_sparse_weights(net<Model, T>& n) noexcept {
  using plan = sparse::plan<Model>;
  const auto grid = [](T& v, double unit, double limit) {
    v = static_cast<T>(std::clamp(std::nearbyint(double(v) * unit), -limit, limit) / unit);
  };
  {
    auto view = n.template layer<1>();
    for (std::size_t j = 0; j < plan::dims; ++j) {
      grid(view.bias(j), 127, 32767);
      for (std::size_t f = 0; f < plan::features; ++f) grid(view.weight(j, f), 127, 32767);
    }
  }
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (
        [&] {
          auto view = n.template layer<plan::index(K)>();
          using L = typename plan::template int8_layer<K>;
          for (std::size_t o = 0; o < L::out_size; ++o) {
            grid(view.bias(o), 127.0 * 64, double(1 << 30));
            for (std::size_t i = 0; i < L::in_size; ++i) grid(view.weight(o, i), 64, 127);
          }
        }(),
        ...);
  }
  (std::make_index_sequence<plan::count>{});
}

/// Every weight of n fake-quantized in place as ctnn::quantize will quantize it: each int8 stage
/// with weights, also inside composite blocks, fake-quantizes its float layer's (layers/int8/affine.hpp: per output
/// channel, as PyTorch's fake_quantize_per_channel_affine with a symmetric int8 range and zero point 0). Biases stay
/// float (the integer network keeps them in int32 at the scale of the sums). A network of quantize_sparse's form gets
/// its scheme instead (fake_quantize_sparse_weights). A network without an integer form is left as it is.
template <class Model, class T>
void fake_quantize_weights(net<Model, T>& n) noexcept {
  using plan = quant::plan<Model>;
  if constexpr (sparse::plan<Model>::first_unsupported == 0) {
    fake_quantize_sparse_weights(n);
  } else if constexpr (plan::first_unsupported == 0) {
    quantized<Model>::chain_type::for_each_weighted(
        [&](auto i) { return n.template layer<decltype(i)::value>(); },
        [](auto stage, auto& view) { decltype(stage)::type::fake_quantize(view); });
  }
}

} // namespace CTNN_NAMESPACE::detail
