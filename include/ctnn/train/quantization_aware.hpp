// Quantization-aware training: the trainer's option `.quantization_aware = true` runs each
// training step's forward and backward passes with every dense and conv weight fake-quantized as
// ctnn::quantize will quantize it, and applies the update to the float weights (a straight-through
// estimator: the gradient with respect to the fake-quantized weights goes to the float ones
// unchanged). The deployed integer network then has the weights the training saw.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/runtime/network.hpp>
#include <ctnn/runtime/quantize.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <utility>

namespace CTNN_NAMESPACE::detail {

/// The first layer of Model without an integer form (0: ctnn::quantize takes the network).
template <class Model>
constexpr std::size_t first_without_integer_form() noexcept {
  return quant::plan<Model>::first_unsupported;
}

/// Every dense and conv weight of n fake-quantized in place, per output channel, as
/// PyTorch's fake_quantize_per_channel_affine with a symmetric int8 range and zero point 0:
/// w = clamp(nearbyint(w / s), -127, 127) s, s = max_i |w[o][i]| / 127. Biases stay float (the
/// integer network keeps them in int32 at the scale of the sums). A network without an integer
/// form is left as it is.
template <class Model, class T>
void fake_quantize_weights(net<Model, T>& n) noexcept {
  using plan = quant::plan<Model>;
  if constexpr (plan::first_unsupported == 0) {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            if constexpr (plan::kind_of(K) != quant::op::max_pool) {
              auto view = n.template layer<plan::index(K)>();
              using S = std::tuple_element_t<K, typename quantized<Model>::ops_type>;
              constexpr std::size_t window = S::layer_type::in_size, filters = S::layer_type::out_size;
              for (std::size_t o = 0; o < filters; ++o) {
                double m = 0;
                for (std::size_t i = 0; i < window; ++i) m = std::max(m, std::abs(double(view.weight(o, i))));
                if (m == 0) continue;
                const double s = m / 127;
                for (std::size_t i = 0; i < window; ++i)
                  view.weight(o, i) =
                      static_cast<T>(std::clamp(std::nearbyint(double(view.weight(o, i)) / s), -127.0, 127.0) * s);
              }
            }
          }(),
          ...);
    }
    (std::make_index_sequence<plan::count>{});
  }
}

} // namespace CTNN_NAMESPACE::detail
