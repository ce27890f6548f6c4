// Activation descriptors: identity, relu, leaky_relu, sigmoid, tanh, softmax, log_softmax, gelu,
// silu, elu, hardtanh (relu6), hardswish, hardsigmoid. Each keeps
// the shape, is fused into the stage before it where that stage accepts it, and otherwise
// lowers to layers::activation_stage. The kernels live in include/ctnn/kernels/activation.hpp.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace kernels {
struct identity_fn;
struct relu_fn;
template <int Num, int Den>
struct leaky_relu_fn;
struct sigmoid_fn;
struct tanh_fn;
struct softmax_fn;
struct log_softmax_fn;
struct gelu_fn;
struct silu_fn;
template <int Num, int Den>
struct elu_fn;
template <int Min, int Max>
struct hardtanh_fn;
struct hardswish_fn;
struct hardsigmoid_fn;
} // namespace kernels
namespace layers {
template <class T, std::size_t N, class Act, std::size_t StepSize>
struct activation_stage;
} // namespace layers

/// An activation descriptor: shape in = shape out, kernel Kernel. A user's own activation can
/// derive from it too (its Kernel then follows kernels/activation.hpp's interface).
template <class Kernel, bool Elementwise = true>
struct activation_layer {
  static constexpr layer_role role = layer_role::activation;
  static constexpr bool elementwise = Elementwise;
  using kernel = Kernel;
  static constexpr layer_shape infer(const dims& in) noexcept { return {0, in}; }
  /// On a sequence an elementwise activation also steps in streams, one step's features at a time.
  template <class T, class In, class Out, class>
  using stage =
      layers::activation_stage<T, In::size, Kernel, In::dims.sequence && Elementwise ? In::dims.extent[1] : 0>;
};

/// y = z.
struct identity : activation_layer<kernels::identity_fn> {
  static constexpr narrow_role narrow = narrow_role::identity;
  static std::string name() { return "identity"; }
};
/// y = max(z, 0); NaN stays NaN.
struct relu : activation_layer<kernels::relu_fn> {
  static constexpr narrow_role narrow = narrow_role::clamp;
  static std::string name() { return "relu"; }
};
/// y = z for z > 0, else (Num / Den) z.
template <int Num, int Den>
struct leaky_relu_slope : activation_layer<kernels::leaky_relu_fn<Num, Den>> {
  static_assert(Den > 0 && Num >= 0 && Num < Den, "leaky_relu_slope<Num, Den>: the slope Num/Den must be in [0, 1)");
  static std::string name() { return "leaky_relu_slope<" + std::to_string(Num) + ", " + std::to_string(Den) + ">"; }
};
/// leaky_relu with PyTorch's default negative slope 0.01.
using leaky_relu = leaky_relu_slope<1, 100>;
/// y = 1 / (1 + exp(-z)).
struct sigmoid : activation_layer<kernels::sigmoid_fn> {
  static std::string name() { return "sigmoid"; }
};
/// y = tanh(z).
struct tanh : activation_layer<kernels::tanh_fn> {
  static std::string name() { return "tanh"; }
};
/// y = exp(z - max z) / sum exp(z - max z), over the whole sample (not elementwise).
struct softmax : activation_layer<kernels::softmax_fn, false> {
  static std::string name() { return "softmax"; }
};
/// y = z - log sum exp(z), over the whole sample (PyTorch's LogSoftmax; loss::nll takes its output).
struct log_softmax : activation_layer<kernels::log_softmax_fn, false> {
  static std::string name() { return "log_softmax"; }
};
/// y = z/2 (1 + erf(z / sqrt 2)): the exact GELU, PyTorch's default (approximate='none').
struct gelu : activation_layer<kernels::gelu_fn> {
  static std::string name() { return "gelu"; }
};
/// y = z sigmoid(z): PyTorch's SiLU (swish).
struct silu : activation_layer<kernels::silu_fn> {
  static std::string name() { return "silu"; }
};
/// y = z for z > 0, else (Num / Den) (exp(z) - 1): PyTorch's ELU(alpha = Num / Den).
template <int Num, int Den>
struct elu_alpha : activation_layer<kernels::elu_fn<Num, Den>> {
  static_assert(Den > 0 && Num > 0, "elu_alpha<Num, Den>: alpha = Num/Den must be positive");
  static std::string name() { return "elu_alpha<" + std::to_string(Num) + ", " + std::to_string(Den) + ">"; }
};
/// elu with PyTorch's default alpha 1.
using elu = elu_alpha<1, 1>;
/// y = clamp(z, Min, Max): PyTorch's Hardtanh(min_val = Min, max_val = Max) for whole bounds.
template <int Min, int Max>
struct hardtanh_range : activation_layer<kernels::hardtanh_fn<Min, Max>> {
  static_assert(Min < Max, "hardtanh_range<Min, Max>: Min must be below Max");
  static std::string name() { return "hardtanh_range<" + std::to_string(Min) + ", " + std::to_string(Max) + ">"; }
};
/// hardtanh with PyTorch's default bounds [-1, 1].
using hardtanh = hardtanh_range<-1, 1>;
/// y = min(max(z, 0), 6): PyTorch's ReLU6.
using relu6 = hardtanh_range<0, 6>;
/// y = z relu6(z + 3) / 6: PyTorch's Hardswish.
struct hardswish : activation_layer<kernels::hardswish_fn> {
  static std::string name() { return "hardswish"; }
};
/// y = relu6(z + 3) / 6: PyTorch's Hardsigmoid.
struct hardsigmoid : activation_layer<kernels::hardsigmoid_fn> {
  static std::string name() { return "hardsigmoid"; }
};

} // namespace CTNN_NAMESPACE
