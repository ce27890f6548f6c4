// The standard networks of bench/README.md as ctnn types, with a runtime description of the same
// layers for the anchors (Eigen, libtorch) and the double reference that checks them all.
#pragma once

#include "dispatch_models.hpp"
#include "layer_spec.hpp"

#include <ctnn/ctnn.hpp>

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {
namespace nn = ctnn;

using mlp_small = bench_models::mlp_small;
using mlp_trading =
    nn::network<nn::input<nn::shape<32>>, nn::dense<64>, nn::relu, nn::dense<64>, nn::relu, nn::dense<1>>;
using mlp_eval = nn::network<nn::input<nn::shape<256>>, nn::dense<32>, nn::relu, nn::dense<32>, nn::relu, nn::dense<1>>;
using mnist_mlp = bench_models::mnist_mlp;

/// One sample through the network in double, from parameters in PyTorch order.
inline std::vector<double> reference_forward(const spec& s, const std::vector<float>& params, const float* x) {
  std::vector<double> v(x, x + s.front().in);
  std::size_t at = 0;
  for (const auto& l : s) {
    std::vector<double> y(std::size_t(l.out));
    for (int o = 0; o < l.out; ++o) {
      double acc = params[at + std::size_t(l.in) * l.out + o];
      for (int i = 0; i < l.in; ++i) acc += double(params[at + std::size_t(o) * l.in + i]) * v[std::size_t(i)];
      y[std::size_t(o)] = l.activation == act::relu   ? std::max(acc, 0.0)
                          : l.activation == act::tanh ? std::tanh(acc)
                                                      : acc;
    }
    at += std::size_t(l.in) * l.out + l.out;
    v = y;
  }
  return v;
}

/// Throws unless got (n values) agrees with the double reference within float rounding.
inline void check_against_reference(const std::string& who, const std::vector<double>& ref, const float* got) {
  double scale = 1, err = 0;
  for (double r : ref) scale = std::max(scale, std::abs(r));
  for (std::size_t k = 0; k < ref.size(); ++k) err = std::max(err, std::abs(double(got[k]) - ref[k]));
  if (err / scale > 1e-4)
    throw std::runtime_error(who + ": output differs from the double reference by " + std::to_string(err / scale));
}

} // namespace bench
