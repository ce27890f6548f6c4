// Lowering: a valid network's stage plan becomes back-end stage types (layers/), with the
// offset of each stage's slice in the flat parameter array computed at compile time.
#pragma once

#include <ctnn/dsl/network.hpp>
#include <ctnn/kernels/activation.hpp>
#include <ctnn/layers/activation.hpp>
#include <ctnn/layers/dense.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

namespace ctnn::detail {

/// The kernel function object of each activation descriptor.
template <class Descriptor>
struct activation_kernel;
template <>
struct activation_kernel<identity> {
  using type = kernels::identity_fn;
};
template <>
struct activation_kernel<relu> {
  using type = kernels::relu_fn;
};
template <int N, int D>
struct activation_kernel<leaky_relu_slope<N, D>> {
  using type = kernels::leaky_relu_fn<N, D>;
};
template <>
struct activation_kernel<sigmoid> {
  using type = kernels::sigmoid_fn;
};
template <>
struct activation_kernel<tanh> {
  using type = kernels::tanh_fn;
};
template <>
struct activation_kernel<softmax> {
  using type = kernels::softmax_fn;
};
template <>
struct activation_kernel<gelu> {
  using type = kernels::gelu_fn;
};

template <class M, class T>
struct lowered;

/// network<Ls...> lowered for scalar type T.
template <class... Ls, class T>
struct lowered<network<Ls...>, T> {
  using model = network<Ls...>;
  static constexpr std::size_t stage_count = model::stage_count;
  static constexpr std::size_t input_size = model::input_shape::size;

  // Type computations (public: the aliases below use them from other contexts).
  template <std::size_t A>
  static constexpr auto activation_of() noexcept {
    if constexpr (A == npos)
      return std::type_identity<kernels::identity_fn>{};
    else
      return std::type_identity<typename activation_kernel<type_at<A, Ls...>>::type>{};
  }

  template <std::size_t S>
  static constexpr auto stage_type() noexcept {
    constexpr stage_plan p = model::stages[S];
    using act = typename decltype(activation_of<p.activation>())::type;
    if constexpr (p.kind == stage_kind::dense)
      return std::type_identity<layers::dense_stage<T, p.in, p.out, act>>{};
    else
      return std::type_identity<layers::activation_stage<T, p.in, act>>{};
  }

public:
  /// The back-end type of stage S.
  template <std::size_t S>
  using stage = typename decltype(stage_type<S>())::type;

  /// offsets[S]: start of stage S's slice in the flat parameter array; offsets[stage_count]
  /// is the total stored size.
  static constexpr std::array<std::size_t, stage_count + 1> offsets = [] {
    std::array<std::size_t, stage_count + 1> o{};
    [&]<std::size_t... S>(std::index_sequence<S...>) {
      const std::size_t sizes[] = {std::size_t{0}, stage<S>::param_size...};
      for (std::size_t s = 0; s < stage_count; ++s) o[s + 1] = o[s] + sizes[s + 1];
    }
    (std::make_index_sequence<stage_count>{});
    return o;
  }();
  static constexpr std::size_t param_size = offsets[stage_count];

  /// Row stride of each stage's output (padded to whole registers).
  static constexpr std::array<std::size_t, stage_count> strides = [] {
    return []<std::size_t... S>(std::index_sequence<S...>) {
      return std::array<std::size_t, stage_count>{stage<S>::out_stride...};
    }
    (std::make_index_sequence<stage_count>{});
  }();
  static constexpr std::size_t max_stride =
      stage_count == 0 ? input_size : *std::max_element(strides.begin(), strides.end());
  static constexpr std::size_t output_stride = stage_count == 0 ? input_size : strides[stage_count - 1];

  /// The stage that holds the parameters of layer index I, or npos.
  static constexpr std::size_t stage_of_layer(std::size_t layer) noexcept {
    for (std::size_t s = 0; s < stage_count; ++s)
      if (model::stages[s].layer == layer && model::stages[s].kind == stage_kind::dense) return s;
    return npos;
  }
};

} // namespace ctnn::detail
