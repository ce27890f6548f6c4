// to_bf16(net): a float network with bf16 weights and activations and float sums, as AVX-512
// BF16's vdpbf16ps computes them (emulated, with the same results, on every other instruction
// set: kernels/bf16.hpp). A mode that needs no calibration: every weight and every stage's input
// is rounded to the nearest bf16 (8 bits of mantissa), the sums stay float. Each layer takes part
// as its descriptor declares (dsl/protocol.hpp: narrow, bf16_stage; runtime/narrow.hpp): dense
// has a bf16 stage (layers/bf16/dense.hpp), relu clamps the outputs of the stage before it,
// dropout and views are left out, and residual and parallel<concat | add> blocks of them run
// their inner networks' stages (layers/bf16/block.hpp).
//
//   auto b = ctnn::to_bf16(net);      // dense, relu, blocks; dropout and flatten are left out
//   auto y = b(x);                    // tensor<float, input> -> tensor<float, output>
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/tensor.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/kernels/bf16.hpp>
#include <ctnn/layers/bf16/builtin.hpp>
#include <ctnn/runtime/narrow.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <tuple>
#include <utility>

namespace CTNN_NAMESPACE {

/// Whether ctnn::to_bf16 takes a network of topology Model.
template <class Model>
inline constexpr bool has_bf16_form = detail::narrow::plan<Model, detail::narrow::bf16_form>::first_unsupported == 0;

/// A float network in bf16 (made by ctnn::to_bf16).
template <class Model>
class bf16_network {
  using plan = detail::narrow::plan<Model, detail::narrow::bf16_form>;

public:
  using input_shape = typename Model::input_shape;
  using output_shape = typename Model::output_shape;
  using chain_type = layers::bf16::chain<plan>;
  using layers_type = typename plan::stages;
  static constexpr std::size_t input_size = input_shape::size, output_size = output_shape::size;
  static constexpr std::size_t stage_count = std::tuple_size_v<layers_type>; // 0 when to_bf16 refuses Model

  bf16_network() : chain_(std::make_unique<chain_type>()) {}
  bf16_network(const bf16_network& o) : chain_(std::make_unique<chain_type>(*o.chain_)) {}
  bf16_network& operator=(const bf16_network& o) {
    *chain_ = *o.chain_;
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
    chain_->run(codes, y); // no stages: to_bf16 has named the layer without a bf16 form
  }
  /// n samples (rows of input_size and output_size values), `tile` at a time through each stage
  /// (each weight load shared by several samples where the kernels can), the rest one by one;
  /// equal to n calls of operator(), bit for bit.
  void predict(const float* x, float* y, std::size_t n) const noexcept {
    const std::size_t tiles = n / tile;
    for (std::size_t t = 0; t < tiles; ++t) {
      alignas(64) std::uint16_t codes[tile * stride]{};
      const float* xt = x + t * tile * input_size;
      for (std::size_t s = 0; s < tile; ++s)
        kernels::round_to_bf16<input_size>(xt + s * input_size, codes + s * stride);
      chain_->template run_rows<tile>(codes, stride, y + t * tile * output_size, output_size);
    }
    x += tiles * tile * input_size;
    y += tiles * tile * output_size;
    for (std::size_t r = n - tiles * tile; r > 0; --r, x += input_size, y += output_size) (*this)(x, y);
  }

  /// The K-th stage (layers/bf16/: a dense stage's bf16 weights in kernels::bf16_affine_layout and
  /// float biases).
  template <std::size_t K>
  auto& layer() noexcept {
    return std::get<K>(chain_->stages);
  }
  template <std::size_t K>
  const auto& layer() const noexcept {
    return std::get<K>(chain_->stages);
  }
  /// The stages as one bf16::chain (to_bf16 sets them through it).
  chain_type& chain() noexcept { return *chain_; }

private:
  static constexpr std::size_t widest = chain_type::width;
  static constexpr std::size_t tile = 8;
  static constexpr std::size_t stride = (widest + 2 + 31) / 32 * 32; // codes per sample, 64-byte rows

  std::unique_ptr<chain_type> chain_;
};

/// The bf16 form of `n` (dense and relu layers; dropout and flatten left out). Any other layer is
/// one compile error naming it.
template <class Model>
bf16_network<Model> to_bf16(const net<Model, float>& n) {
  using plan = detail::narrow::plan<Model, detail::narrow::bf16_form>;
  if constexpr (plan::first_unsupported != 0) {
    using gap = detail::narrow::first_gap_of<Model, detail::narrow::bf16_form>;
    static_assert(diag::layer_has_no_integer_form<typename gap::where, typename gap::layer,
                                                  diag::fix_bf16_networks_of_dense_and_relu>::ok,
                  "ctnn::to_bf16: this layer has no bf16 form; the failed condition names it");
    return {};
  } else {
    bf16_network<Model> b;
    auto& net_ = const_cast<net<Model, float>&>(n); // layer<I>() views are only read here
    b.chain().set([&](auto i) { return net_.template layer<decltype(i)::value>(); });
    return b;
  }
}

} // namespace CTNN_NAMESPACE
