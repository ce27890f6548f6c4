// Initializers: how make<Model>(init, seed) draws each dense layer's weights and biases.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>

#include <cmath>
#include <cstddef>

/// Each initializer has weight(fan_in, fan_out, rng) and bias(fan_in, fan_out, rng).
namespace CTNN_NAMESPACE::init {

/// PyTorch's nn.Linear default: weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
struct pytorch_default {
  double weight(std::size_t fan_in, std::size_t, rng& g) const noexcept {
    const double b = 1.0 / std::sqrt(double(fan_in));
    return g.uniform(-b, b);
  }
  double bias(std::size_t fan_in, std::size_t f, rng& g) const noexcept { return weight(fan_in, f, g); }
};

/// He (Kaiming) uniform for ReLU: weight ~ U(+-sqrt(6 / fan_in)), bias 0.
struct he_uniform {
  double weight(std::size_t fan_in, std::size_t, rng& g) const noexcept {
    const double b = std::sqrt(6.0 / double(fan_in));
    return g.uniform(-b, b);
  }
  double bias(std::size_t, std::size_t, rng&) const noexcept { return 0.0; }
};

/// He (Kaiming) normal for ReLU: weight ~ N(0, 2 / fan_in), bias 0.
struct he_normal {
  double weight(std::size_t fan_in, std::size_t, rng& g) const noexcept {
    return g.normal() * std::sqrt(2.0 / double(fan_in));
  }
  double bias(std::size_t, std::size_t, rng&) const noexcept { return 0.0; }
};

/// Glorot (Xavier) uniform: weight ~ U(+-sqrt(6 / (fan_in + fan_out))), bias 0.
struct glorot_uniform {
  double weight(std::size_t fan_in, std::size_t fan_out, rng& g) const noexcept {
    const double b = std::sqrt(6.0 / double(fan_in + fan_out));
    return g.uniform(-b, b);
  }
  double bias(std::size_t, std::size_t, rng&) const noexcept { return 0.0; }
};

/// Glorot (Xavier) normal: weight ~ N(0, 2 / (fan_in + fan_out)), bias 0.
struct glorot_normal {
  double weight(std::size_t fan_in, std::size_t fan_out, rng& g) const noexcept {
    return g.normal() * std::sqrt(2.0 / double(fan_in + fan_out));
  }
  double bias(std::size_t, std::size_t, rng&) const noexcept { return 0.0; }
};

} // namespace CTNN_NAMESPACE::init
