// quantize(net, calibration): the integer network of a float network, post-training. Each layer
// takes part as its descriptor declares (dsl/protocol.hpp: narrow, int8_stage; the plan:
// runtime/narrow.hpp): ctnn's dense, conv1d/conv2d (not grouped, not over sequences) and max
// pools have int8 stages (layers/int8/), relu clamps the outputs of the stage before it, dropout
// and views are left out; the last stage gives float. uint8 activations (0..127, so every
// instruction set's kernel is exact: see kernels/integer.hpp), int8 weights with one scale per
// output channel, int32 sums, and fixed-point requantization between stages; float in and out at
// the edges.
//
//   auto q = ctnn::quantize(net, calibration);                 // a ctnn::dataset, or rows of inputs
//   auto q = ctnn::quantize(net, calibration, {.percentile = 99.99});
//   auto y = q(x);                                            // tensor<float, input> -> output
//
// The scheme (PyTorch's static quantization with per-channel weights, in integers throughout):
//   activation   a ~ s * (q - z), q in 0..127, z its zero point; [min, max] of the calibration
//                values (or their percentiles), widened to hold 0, gives s = (max - min) / 127;
//                where a layer observed the activations in training (fake_quantize:
//                narrow_role::observe), its s and z instead, so the integer network codes them
//                as training rounded them
//   weights      per output channel, symmetric int8 (layers/int8/affine.hpp has the formulas)
//   requantize   one IEEE multiply and a round to nearest even, which every instruction set does
//                alike
// Every stage's int32 sums are proved not to overflow when it is set (int8_dense::set).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/tensor.hpp>
#include <ctnn/core/value_reader.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/layers/int8/builtin.hpp>
#include <ctnn/layers/int8/chain.hpp>
#include <ctnn/layers/int8/codes.hpp>
#include <ctnn/layers/int8_dense.hpp>
#include <ctnn/runtime/narrow.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail::quant {
template <const auto& Layer>
constexpr bool prove() {
  using layer_type = std::remove_cvref_t<decltype(Layer)>;
  constexpr std::int64_t bound = Layer.sum_bound();
  if constexpr (bound > layer_type::sum_limit) // the assertion is the one error: the function still returns
    static_assert(diag::int8_sums_could_overflow<layer_type, diag::worst_case_sum<bound>,
                                                 diag::fix_scale_the_weights_down_or_clip_the_inputs_lower>::ok,
                  "ctnn::proved: these constexpr weights could overflow their int32 sums; the failed condition names "
                  "the layer and its worst-case sum");
  return true;
}
} // namespace detail::quant

/// Proves at compile time that a constexpr int8_dense layer's sums cannot overflow for any input
/// up to its InMax: `static_assert(ctnn::proved<layer>)`, or one error naming the layer type and
/// its worst-case sum (diag::int8_sums_could_overflow<int8_dense<...>, worst_case_sum<N>, ...>).
template <const auto& Layer>
inline constexpr bool proved = detail::quant::prove<Layer>();

/// How quantize() turns calibration values into ranges.
struct quantize_options {
  /// 100: each tensor's [min, max]; below 100, its [100 - p, p] percentiles (clips outliers).
  double percentile = 100;
};

namespace detail::quant {
template <class Model>
using plan = narrow::plan<Model, narrow::int8_form>;
using affine_range = layers::int8::affine_range;
} // namespace detail::quant

/// Whether ctnn::quantize takes a network of topology Model.
template <class Model>
inline constexpr bool has_int8_form = detail::quant::plan<Model>::first_unsupported == 0;

/// The integer network of a float network of topology Model. Made by ctnn::quantize.
template <class Model>
class quantized {
  using plan = detail::quant::plan<Model>;

public:
  using model = Model; ///< the float topology
  using input_shape = typename Model::input_shape;
  using output_shape = typename Model::output_shape;
  using chain_type = layers::int8::chain<plan>;
  using ops_type = typename plan::stages;
  static constexpr std::size_t input_size = input_shape::size;
  static constexpr std::size_t output_size = output_shape::size;
  static constexpr std::size_t stage_count = std::tuple_size_v<ops_type>; // 0 when quantize refuses Model

  /// One sample: float in, float out.
  tensor<float, output_shape> operator()(const tensor<float, input_shape>& x) const noexcept {
    tensor<float, output_shape> y;
    (*this)(x.data(), y.data());
    return y;
  }
  void operator()(const float* x, float* y) const noexcept {
    alignas(64) std::uint8_t codes[width], a[width], b[width];
    input_.template codes<input_size>(x, codes);
    chain_.run(codes, a, b, y); // no stages: quantize has named the layer without a form
  }

  /// n samples (rows of input_size and output_size values), `tile` at a time: a dense layer
  /// shares each weight load among the samples of a tile (kernels::int8_affine_rows); the other
  /// operations take them one by one. Equal to n single calls, bit for bit.
  void predict(const float* x, float* y, std::size_t n) const noexcept {
    alignas(64) std::uint8_t codes[tile * width], a[tile * width], b[tile * width];
    const std::size_t tiles = n / tile;
    for (std::size_t t = 0; t < tiles; ++t) {
      const float* xt = x + t * tile * input_size;
      for (std::size_t s = 0; s < tile; ++s) input_.template codes<input_size>(xt + s * input_size, codes + s * width);
      chain_.template run_rows<tile>(codes, a, b, y + t * tile * output_size, width, output_size);
    }
    x += tiles * tile * input_size;
    y += tiles * tile * output_size;
    for (std::size_t r = n % tile; r > 0; --r, x += input_size, y += output_size) (*this)(x, y);
  }
  /// The samples predict runs at once.
  static constexpr std::size_t tile = 8;

  // ---- weight files: ctnn::save(q, path) and ctnn::load(q, path) (ctnn/io/weights.hpp) ----
  // The values, in order, as doubles (every int8, int32 and float value is exact in a double):
  // the input's scale and zero point; then each stage's (export_values: a dense or conv stage's
  // weights [out][in], biases, scales, output and input zero points; a max pool's zero point).

  using value_type = double;
  /// Line 0: the integer types and the scheme; then the float network's layers.
  static std::vector<std::string> fingerprint() {
    auto lines = net<Model, float>::fingerprint();
    lines[0] = "int8: uint8 codes 0..127 with zero points, int8 weights per output channel, int32 sums, float "
               "requantization";
    return lines;
  }
  static constexpr std::size_t value_count = 2 + chain_type::value_count;
  static constexpr std::size_t param_count = value_count;

  std::vector<double> export_parameters() const {
    std::vector<double> v{input_.scale, double(input_.zero)};
    chain_.export_values(v);
    return v;
  }

  /// Sets every value from export_parameters' order. Checks each one (integers in their type's
  /// range, scales positive and finite, zero points in 0..127, sums proved not to overflow) and
  /// throws std::invalid_argument naming the first that is not; the network is then unchanged.
  void import_parameters(std::span<const double> v) {
    if (v.size() != value_count)
      throw std::invalid_argument("quantized network: expected " + std::to_string(value_count) + " values, found " +
                                  std::to_string(v.size()));
    auto next = std::make_unique<quantized>(*this);
    value_reader r(v, "quantized network");
    next->input_.scale = r.positive("the input's scale");
    next->input_.zero = static_cast<int>(r.integer(0, 127, "the input's zero point"));
    next->chain_.import_values(r, "quantized network, ");
    *this = *next;
  }

  /// The input's quantization, and each stage (layers/int8/: a dense or conv stage's int8_dense
  /// layer, scales and zero points; a max pool's zero point).
  const detail::quant::affine_range& input_range() const noexcept { return input_; }
  detail::quant::affine_range& input_range() noexcept { return input_; }
  template <std::size_t K>
  const auto& stage() const noexcept {
    return std::get<K>(chain_.stages);
  }
  template <std::size_t K>
  auto& stage() noexcept {
    return std::get<K>(chain_.stages);
  }
  /// The stages as one int8::chain (quantize_rows quantizes them through it).
  chain_type& chain() noexcept { return chain_; }

private:
  /// The bytes of each sample's codes: the chain's buffers, and the input's codes (16 at a time).
  static constexpr std::size_t width = std::max(chain_type::width, (input_size + 16 + 63) / 64 * 64);

  detail::quant::affine_range input_;
  chain_type chain_;
};

/// The integer network of `n` (rows: `count` calibration inputs, one after the other).
template <class Model>
quantized<Model> quantize_rows(const net<Model, float>& n, std::span<const float> rows, std::size_t count,
                               quantize_options options = {}) {
  using plan = detail::quant::plan<Model>;
  if constexpr (plan::first_unsupported != 0) {
    using gap = detail::narrow::first_gap_of<Model, detail::narrow::int8_form>;
    static_assert(diag::layer_has_no_integer_form<typename gap::where, typename gap::layer,
                                                  diag::fix_quantize_networks_of_dense_conv_max_pool_and_relu>::ok,
                  "ctnn::quantize: this layer has no integer form yet; the failed condition names it");
    return {};
  } else {
    constexpr std::size_t in_size = Model::input_shape::size;
    if (count == 0 || rows.size() != count * in_size)
      throw std::invalid_argument("quantize: expected calibration rows of " + std::to_string(in_size) +
                                  " values, found " + std::to_string(rows.size()) + " values for " +
                                  std::to_string(count) + " rows");
    quantized<Model> q;
    auto& net_ = const_cast<net<Model, float>&>(n);    // layer<I>() views are only read here
    std::vector<double> act(rows.begin(), rows.end()); // each row's values before the operation
    const auto calibrate = [&](std::vector<double> values) {
      const auto [lo, hi] = layers::int8::range_of(values, options.percentile);
      return detail::quant::affine_range::of(lo, hi);
    };
    // The codes a layer observed in training (narrow_role::observe: fake_quantize) of the k-th
    // stage's outputs (k = count: of the input), in place of calibrated ones.
    const auto observed = [&](auto k) -> std::optional<detail::quant::affine_range> {
      constexpr std::size_t at = plan::observer_of(decltype(k)::value);
      if constexpr (at != 0)
        if (const auto c = net_.template layer<at>().codes()) return detail::quant::affine_range{c->scale, c->zero};
      return std::nullopt;
    };
    const auto seen = observed(std::integral_constant<std::size_t, plan::count>{});
    q.input_range() = seen ? *seen : calibrate(act);
    q.chain().quantize([&](auto i) { return net_.template layer<decltype(i)::value>(); }, act, count, q.input_range(),
                       calibrate, "quantize: ", observed);
    return q;
  }
}

/// The integer network of `n`, its activation ranges from `calibration`: a ctnn::dataset (its
/// inputs) or anything with inputs() giving rows of input values.
template <class Model, class Calibration>
quantized<Model> quantize(const net<Model, float>& n, const Calibration& calibration, quantize_options options = {}) {
  const auto rows = calibration.inputs();
  constexpr std::size_t in_size = Model::input_shape::size;
  return quantize_rows(n, std::span<const float>(rows.data(), rows.size()), rows.size() / in_size, options);
}

} // namespace CTNN_NAMESPACE
