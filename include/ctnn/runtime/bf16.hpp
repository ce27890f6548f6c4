// to_bf16(net): a float network of dense layers with bf16 weights and activations and float sums,
// as AVX-512 BF16's vdpbf16ps computes them (emulated, with the same results, on every other
// instruction set: kernels/bf16.hpp). A mode that needs no calibration: every weight and every
// layer's input is rounded to the nearest bf16 (8 bits of mantissa), the sums stay float.
//
//   auto b = ctnn::to_bf16(net);      // dense and relu; dropout and flatten are left out
//   auto y = b(x);                    // tensor<float, input> -> tensor<float, output>
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/tensor.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/layers/activation.hpp>
#include <ctnn/dsl/layers/dense.hpp>
#include <ctnn/dsl/layers/dropout.hpp>
#include <ctnn/dsl/layers/flatten.hpp>
#include <ctnn/kernels/bf16.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <tuple>
#include <utility>

namespace CTNN_NAMESPACE {
namespace detail::bf16_plan {

enum class op : int { none, dense, relu, skip };
template <class L>
inline constexpr op kind = op::none;
template <std::size_t U>
inline constexpr op kind<dense<U>> = op::dense;
template <>
inline constexpr op kind<relu> = op::relu;
template <std::size_t N, std::size_t D>
inline constexpr op kind<dropout<N, D>> = op::skip;
template <>
inline constexpr op kind<flatten> = op::skip;

template <class Model>
struct plan {
  static constexpr std::size_t layers = Model::layer_count;
  static constexpr auto kinds = []<std::size_t... I>(std::index_sequence<I...>) {
    return std::array<op, layers>{op::skip, kind<typename Model::template layer<I + 1>>...};
  }
  (std::make_index_sequence<layers - 1>{});
  /// The first layer without a bf16 form: another kind, a sequence, a relu before any dense, or a
  /// network whose last dense is followed by a relu (0: none).
  static constexpr std::size_t first_unsupported = [] {
    std::size_t last = 0;
    for (std::size_t i = 1; i < layers; ++i) {
      if (kinds[i] == op::none || Model::layer_input(i).sequence) return i;
      if (kinds[i] == op::relu && last == 0) return i;
      if (kinds[i] == op::dense) last = i;
    }
    if (last == 0) return layers - 1;
    for (std::size_t i = last + 1; i < layers; ++i)
      if (kinds[i] == op::relu) return i;
    return std::size_t{0};
  }();
  static constexpr std::size_t count = [] {
    std::size_t n = 0;
    for (std::size_t i = 1; i < layers; ++i) n += kinds[i] == op::dense;
    return n;
  }();
  static constexpr std::size_t index(std::size_t k) {
    for (std::size_t i = 1; i < layers; ++i)
      if (kinds[i] == op::dense && k-- == 0) return i;
    return 0;
  }
  static constexpr bool relu_after(std::size_t k) {
    for (std::size_t i = index(k) + 1; i < layers && kinds[i] != op::dense; ++i)
      if (kinds[i] == op::relu) return true;
    return false;
  }
};

/// One dense layer in bf16: weights in the kernel's layout, float biases.
template <std::size_t In, std::size_t Out, bool Relu>
struct layer {
  using layout = kernels::bf16_affine_layout<In, Out>;
  static constexpr std::size_t in_size = In, out_size = Out;
  static constexpr bool relu = Relu;
  alignas(64) std::array<std::uint16_t, layout::weight_size> weights{};
  alignas(64) std::array<float, layout::out_padded> biases{};
};

template <class Plan, std::size_t K>
using layer_at = layer<Plan::template in_size<K>(), Plan::template out_size<K>(), Plan::relu_after(K)>;

} // namespace detail::bf16_plan

/// A float network's dense layers in bf16 (made by ctnn::to_bf16).
template <class Model>
class bf16_network {
  struct plan : detail::bf16_plan::plan<Model> {
    using base = detail::bf16_plan::plan<Model>;
    template <std::size_t K>
    static constexpr std::size_t in_size() {
      return Model::layer_input(base::index(K)).size();
    }
    template <std::size_t K>
    static constexpr std::size_t out_size() {
      constexpr std::size_t i = base::index(K);
      if constexpr (i + 1 < Model::layer_count)
        return Model::layer_input(i + 1).size();
      else
        return Model::output_shape::size;
    }
  };
  template <std::size_t... K>
  static auto layers_of(std::index_sequence<K...>) -> std::tuple<detail::bf16_plan::layer_at<plan, K>...>;

public:
  using input_shape = typename Model::input_shape;
  using output_shape = typename Model::output_shape;
  using layers_type = decltype(layers_of(std::make_index_sequence<plan::count>{}));
  static constexpr std::size_t input_size = input_shape::size, output_size = output_shape::size;

  bf16_network() : layers_(std::make_unique<layers_type>()) {}
  bf16_network(const bf16_network& o) : layers_(std::make_unique<layers_type>(*o.layers_)) {}
  bf16_network& operator=(const bf16_network& o) {
    *layers_ = *o.layers_;
    return *this;
  }
  bf16_network(bf16_network&&) noexcept = default;
  bf16_network& operator=(bf16_network&&) noexcept = default;

  tensor<float, output_shape> operator()(const tensor<float, input_shape>& x) const noexcept {
    tensor<float, output_shape> y;
    (*this)(x.data(), y.data());
    return y;
  }
  void operator()(const float* x, float* y) const noexcept {
    alignas(64) std::uint16_t codes[widest + 2]{};
    kernels::round_to_bf16<input_size>(x, codes);
    if constexpr (plan::count > 0) run<0>(codes, y); // 0: to_bf16 has named the layer without a bf16 form
  }
  /// n samples, one after the other (rows of input_size and output_size values).
  void predict(const float* x, float* y, std::size_t n) const noexcept {
    for (std::size_t i = 0; i < n; ++i) (*this)(x + i * input_size, y + i * output_size);
  }

  /// The K-th dense layer: its bf16 weights (kernels::bf16_affine_layout) and float biases.
  template <std::size_t K>
  auto& layer() noexcept {
    return std::get<K>(*layers_);
  }
  template <std::size_t K>
  const auto& layer() const noexcept {
    return std::get<K>(*layers_);
  }

private:
  template <std::size_t K = 0>
  static constexpr std::size_t widest_of() {
    if constexpr (K == plan::count)
      return input_size + 2;
    else {
      using L = std::tuple_element_t<K, layers_type>;
      return std::max({widest_of<K + 1>(), L::layout::in_padded, L::layout::out_padded});
    }
  }
  static constexpr std::size_t widest = widest_of();

  template <std::size_t K>
  void run(std::uint16_t* codes, float* y) const noexcept {
    using L = std::tuple_element_t<K, layers_type>;
    const auto& l = std::get<K>(*layers_);
    alignas(64) float sums[L::layout::out_padded];
    kernels::bf16_affine<L::in_size, L::out_size>(codes, l.weights.data(), l.biases.data(), sums);
    if constexpr (K + 1 == plan::count) {
      std::copy_n(sums, output_size, y);
    } else {
      if constexpr (L::relu)
        for (std::size_t o = 0; o < L::out_size; ++o) sums[o] = std::max(sums[o], 0.0f);
      kernels::round_to_bf16<L::out_size>(sums, codes);
      codes[L::out_size] = 0; // the next layer's padding (an odd width)
      run<K + 1>(codes, y);
    }
  }

  std::unique_ptr<layers_type> layers_;
};

/// The bf16 form of `n` (dense and relu layers; dropout and flatten left out). Any other layer is
/// one compile error naming it.
template <class Model>
bf16_network<Model> to_bf16(const net<Model, float>& n) {
  using plan = detail::bf16_plan::plan<Model>;
  if constexpr (plan::first_unsupported != 0) {
    constexpr std::size_t bad = plan::first_unsupported;
    static_assert(diag::layer_has_no_integer_form<diag::layer_index<bad>, typename Model::template layer<bad>,
                                                  diag::fix_bf16_networks_of_dense_and_relu>::ok,
                  "ctnn::to_bf16: this layer has no bf16 form; the failed condition names it");
    return {};
  } else {
    bf16_network<Model> b;
    auto& net_ = const_cast<net<Model, float>&>(n); // layer<I>() views are only read here
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            auto& l = b.template layer<K>();
            using L = std::remove_cvref_t<decltype(l)>;
            const auto view = net_.template layer<plan::index(K)>();
            for (std::size_t o = 0; o < L::out_size; ++o) {
              for (std::size_t i = 0; i < L::in_size; ++i)
                l.weights[L::layout::index(i, o)] = kernels::round_to_bf16(view.weight(o, i));
              l.biases[o] = view.bias(o);
            }
          }(),
          ...);
    }
    (std::make_index_sequence<plan::count>{});
    return b;
  }
}

} // namespace CTNN_NAMESPACE
