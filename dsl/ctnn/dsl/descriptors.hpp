// Layer descriptors as users spell them: input<shape<...>>, dense<64>, flatten, relu, ...
// A descriptor carries hyperparameters and its shape rule, nothing else (no xsimd, no storage).
#pragma once

#include <ctnn/core/shape.hpp>

#include <concepts>
#include <cstddef>
#include <string>

namespace ctnn {

/// What a layer is, as far as shape inference and lowering care.
enum class layer_kind { input, dense, activation, flatten };

/// Why a layer rejects the shape it receives. Each value has one diagnostic in diag.hpp.
enum class shape_error {
  none,
  expects_rank_1,    ///< the layer needs a vector, receives an image or volume
  zero_units,        ///< dense<0>
  empty_input_shape, ///< input<shape<>> or a zero extent
};

/// The result of one layer's shape rule.
struct layer_shape {
  shape_error error = shape_error::none;
  dims out{};
};

/// input<shape<D...>>: declares the shape of one sample. Must be layer 0.
template <Shape S>
struct input {
  using shape_type = S;
  static constexpr layer_kind kind = layer_kind::input;
  static constexpr layer_shape infer(const dims&) noexcept {
    if (S::rank == 0 || S::size == 0) return {shape_error::empty_input_shape, {}};
    return {shape_error::none, S::dims};
  }
  static std::string name() { return "input<" + to_string(S::dims) + ">"; }
};

/// dense<Units>: y = W x + b.  in [N] -> out [Units]; Units * N + Units parameters.
template <std::size_t Units>
struct dense {
  static constexpr std::size_t units = Units;
  static constexpr layer_kind kind = layer_kind::dense;
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (Units == 0) return {shape_error::zero_units, {}};
    if (in.rank != 1) return {shape_error::expects_rank_1, {}};
    return {shape_error::none, dims{1, {Units}}};
  }
  static std::string name() { return "dense<" + std::to_string(Units) + ">"; }
};

/// flatten: in [D0, D1, ...] -> out [D0 * D1 * ...]. No parameters, no data movement.
struct flatten {
  static constexpr layer_kind kind = layer_kind::flatten;
  static constexpr layer_shape infer(const dims& in) noexcept { return {shape_error::none, dims{1, {in.size()}}}; }
  static std::string name() { return "flatten"; }
};

namespace detail {
/// Activations keep the shape. They are placed after dense to be fused into it.
template <class Self>
struct activation_base {
  static constexpr layer_kind kind = layer_kind::activation;
  static constexpr layer_shape infer(const dims& in) noexcept { return {shape_error::none, in}; }
};
} // namespace detail

/// y = z.
struct identity : detail::activation_base<identity> {
  static std::string name() { return "identity"; }
};
/// y = max(z, 0).
struct relu : detail::activation_base<relu> {
  static std::string name() { return "relu"; }
};
/// y = z for z > 0, else (Num / Den) z.
template <int Num, int Den>
struct leaky_relu_slope : detail::activation_base<leaky_relu_slope<Num, Den>> {
  static_assert(Den > 0 && Num >= 0 && Num < Den, "leaky_relu_slope<Num, Den>: the slope Num/Den must be in [0, 1)");
  static std::string name() { return "leaky_relu_slope<" + std::to_string(Num) + ", " + std::to_string(Den) + ">"; }
};
/// leaky_relu with PyTorch's default negative slope 0.01.
using leaky_relu = leaky_relu_slope<1, 100>;
/// y = 1 / (1 + exp(-z)).
struct sigmoid : detail::activation_base<sigmoid> {
  static std::string name() { return "sigmoid"; }
};
/// y = tanh(z).
struct tanh : detail::activation_base<tanh> {
  static std::string name() { return "tanh"; }
};
/// y = exp(z - max z) / sum exp(z - max z), over the whole vector.
struct softmax : detail::activation_base<softmax> {
  static std::string name() { return "softmax"; }
};
/// y = z/2 (1 + erf(z / sqrt 2)): the exact GELU, PyTorch's default (approximate='none').
struct gelu : detail::activation_base<gelu> {
  static std::string name() { return "gelu"; }
};

/// LayerDescriptor: something that may appear in network<...>.
template <class L>
concept LayerDescriptor = requires(const dims& d) {
  { L::kind } -> std::convertible_to<layer_kind>;
  { L::infer(d) } -> std::same_as<layer_shape>;
  { L::name() } -> std::convertible_to<std::string>;
};

} // namespace ctnn
