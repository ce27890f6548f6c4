// quantize(net, calibration): the integer network of a float network, post-training. uint8
// activations (0..127, so every instruction set's kernel is exact: see kernels/integer.hpp), int8
// weights with one scale per output channel, int32 sums, and fixed-point requantization between
// layers; float in and out at the edges.
//
//   auto q = ctnn::quantize(net, calibration);                 // a ctnn::dataset, or rows of inputs
//   auto q = ctnn::quantize(net, calibration, {.percentile = 99.99});
//   auto y = q(x);                                            // tensor<float, input> -> output
//
// The scheme (PyTorch's static quantization with per-channel weights, in integers throughout):
//   activation   a ~ s * (q - z), q in 0..127, z its zero point; [min, max] of the calibration
//                values (or their percentiles), widened to hold 0, gives s = (max - min) / 127
//   weight       W[o][i] ~ sw[o] * Wq[o][i], Wq in -127..127, sw[o] = max_i |W[o][i]| / 127
//   bias         bq[o] = round(b[o] / (s_in sw[o])) - z_in * sum_i Wq[o][i] (the input's zero point
//                folded into the bias, so the kernel multiplies the uint8 codes as they are)
//   requantize   q_out = clamp(z_out + round(acc * m[o]), lo, 127), m[o] = s_in sw[o] / s_out a float:
//                one IEEE multiply and a round to nearest even, which every instruction set does
//                alike (no add that an FMA could absorb); lo = z_out when a relu follows (the relu
//                is the clamp), else 0
//   last layer   y[o] = s_in sw[o] * acc[o] (float)
// Every layer's int32 sums are proved not to overflow when it is set (int8_dense::set).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/tensor.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/dsl/layers/activation.hpp>
#include <ctnn/dsl/layers/dense.hpp>
#include <ctnn/dsl/layers/dropout.hpp>
#include <ctnn/dsl/layers/flatten.hpp>
#include <ctnn/kernels/integer.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/int8_dense.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE {

/// How quantize() turns calibration values into ranges.
struct quantize_options {
  /// 100: each tensor's [min, max]; below 100, its [100 - p, p] percentiles (clips outliers).
  double percentile = 100;
};

namespace detail::quant {

template <class L>
struct kind {
  static constexpr int value = 0; // no integer form
};
template <std::size_t U>
struct kind<dense<U>> {
  static constexpr int value = 1;
};
template <>
struct kind<relu> {
  static constexpr int value = 2;
};
template <std::size_t N, std::size_t D>
struct kind<dropout<N, D>> {
  static constexpr int value = 3; // the identity at inference
};
template <>
struct kind<flatten> {
  static constexpr int value = 3;
};

/// The integer plan of a network<...>: its dense layers (their indices, sizes, and whether a relu
/// follows), or the first layer without an integer form.
template <class Model>
struct plan {
  static constexpr std::size_t layers = Model::layer_count;
  template <std::size_t... I>
  static constexpr auto kinds(std::index_sequence<I...>) {
    return std::array<int, layers>{kind<typename Model::template layer<I>>::value...};
  }
  static constexpr auto kinds_ = kinds(std::make_index_sequence<layers>{});
  static constexpr std::size_t first_unsupported = [] {
    for (std::size_t i = 1; i < layers; ++i)
      if (kinds_[i] == 0) return i;
    return std::size_t{0};
  }();
  static constexpr std::size_t dense_count = [] {
    std::size_t n = 0;
    for (std::size_t i = 1; i < layers; ++i) n += kinds_[i] == 1;
    return n;
  }();
  /// Layer index of the k-th dense layer.
  static constexpr std::size_t dense_index(std::size_t k) {
    for (std::size_t i = 1; i < layers; ++i)
      if (kinds_[i] == 1 && k-- == 0) return i;
    return 0;
  }
  static constexpr std::size_t in_of(std::size_t k) { return Model::layer_input(dense_index(k)).size(); }
  static constexpr std::size_t out_of(std::size_t k) { return Model::layer_output(dense_index(k)).size(); }
  /// Whether a relu comes after the k-th dense layer (before the next one).
  static constexpr bool relu_after(std::size_t k) {
    for (std::size_t i = dense_index(k) + 1; i < layers && kinds_[i] != 1; ++i)
      if (kinds_[i] == 2) return true;
    return false;
  }
};

/// An activation's affine quantization: a ~ scale * (q - zero), q in 0..127.
struct affine_range {
  double scale = 1;
  int zero = 0;
  static affine_range of(double lo, double hi) {
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
    if (hi - lo < 1e-12) hi = lo + 1e-12;
    affine_range r;
    r.scale = (hi - lo) / 127;
    r.zero = static_cast<int>(std::clamp<long>(std::lround(-lo / r.scale), 0, 127));
    return r;
  }
  std::uint8_t code(double a) const noexcept {
    return static_cast<std::uint8_t>(std::clamp<long>(std::lround(a / scale) + zero, 0, 127));
  }
  /// code() for N floats into q (N rounded up to 16 codes; the padding is coded from 0): x / scale
  /// + zero, rounded half up. A division and an add, never a multiply-add that an FMA could absorb
  /// on one instruction set and not another, so every instruction set gives the same codes.
  template <std::size_t N>
  void codes(const float* x, std::uint8_t* q) const noexcept {
    using fb = kernels::simd<float>;
    constexpr std::size_t padded = (N + 15) / 16 * 16, whole = N / fb::size * fb::size;
    const fb s(static_cast<float>(scale)), z(static_cast<float>(zero) + 0.5f), lo(0.0f), hi(127.5f);
    alignas(64) std::int32_t c[padded];
    for (std::size_t i = 0; i < whole; i += fb::size)
      xsimd::to_int(xsimd::min(xsimd::max(fb::load_unaligned(x + i) / s + z, lo), hi)).store_aligned(c + i);
    for (std::size_t i = whole; i < padded; ++i) {
      const float v = (i < N ? x[i] : 0.0f) / static_cast<float>(scale) + (static_cast<float>(zero) + 0.5f);
      c[i] = static_cast<std::int32_t>(std::min(std::max(v, 0.0f), 127.5f));
    }
    kernels::narrow_to_uint8<padded>(c, q);
  }
};

template <std::size_t In, std::size_t Out, bool Relu, bool Last>
struct stage {
  using layer_type = int8_dense<In, Out, 127>;
  static constexpr std::size_t in = In, out = Out;
  static constexpr bool relu = Relu, last = Last;
  layer_type layer;
  /// Not last: the requantization multipliers m[o]; last: the float value of one unit of sum o.
  alignas(64) std::array<float, layer_type::out_padded> scale{};
  int out_zero = 0;
};

template <class Plan, std::size_t K>
using stage_of = stage<Plan::in_of(K), Plan::out_of(K), Plan::relu_after(K), K + 1 == Plan::dense_count>;

template <class Plan, class = std::make_index_sequence<Plan::dense_count>>
struct stages;
template <class Plan, std::size_t... K>
struct stages<Plan, std::index_sequence<K...>> {
  using type = std::tuple<stage_of<Plan, K>...>;
};

} // namespace detail::quant

/// The integer network of a float network of topology Model (dense layers, each optionally
/// followed by relu; dropout and flatten are left out). Made by ctnn::quantize.
template <class Model>
class quantized {
  using plan = detail::quant::plan<Model>;

public:
  using input_shape = typename Model::input_shape;
  using output_shape = typename Model::output_shape;
  using stages_type = typename detail::quant::stages<plan>::type;
  static constexpr std::size_t input_size = input_shape::size;
  static constexpr std::size_t output_size = output_shape::size;
  static constexpr std::size_t stage_count = plan::dense_count;

  /// One sample: float in, float out.
  tensor<float, output_shape> operator()(const tensor<float, input_shape>& x) const noexcept {
    tensor<float, output_shape> y;
    (*this)(x.data(), y.data());
    return y;
  }
  void operator()(const float* x, float* y) const noexcept {
    alignas(64) std::uint8_t a[max_width], b[max_width];
    input_.template codes<input_size>(x, a);
    run<0>(a, b, y);
  }

  /// The input's quantization and each stage (its int8_dense layer, multipliers, zero points).
  const detail::quant::affine_range& input_range() const noexcept { return input_; }
  template <std::size_t K>
  const auto& stage() const noexcept {
    return std::get<K>(stages_);
  }
  template <std::size_t K>
  auto& stage() noexcept {
    return std::get<K>(stages_);
  }
  detail::quant::affine_range& input_range() noexcept { return input_; }

private:
  template <std::size_t K = 0>
  static constexpr std::size_t widest() {
    if constexpr (K == stage_count)
      return input_size;
    else {
      using S = std::tuple_element_t<K, stages_type>;
      return std::max({widest<K + 1>(), S::layer_type::in_padded, S::layer_type::out_padded});
    }
  }
  static constexpr std::size_t max_width = (widest() + 63) / 64 * 64;

  template <std::size_t K>
  void run(std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    const auto& s = std::get<K>(stages_);
    using S = std::remove_cvref_t<decltype(s)>;
    alignas(64) std::int32_t acc[S::layer_type::out_padded];
    s.layer.forward(in, acc);
    if constexpr (S::last) {
      for (std::size_t o = 0; o < S::out; ++o) y[o] = s.scale[o] * static_cast<float>(acc[o]);
    } else {
      using fb = kernels::simd<float>;
      using ib = kernels::simd<std::int32_t>;
      const ib zero(s.out_zero), lo(S::relu ? s.out_zero : 0), hi(127);
      alignas(64) std::int32_t codes[S::layer_type::out_padded];
      for (std::size_t o = 0; o < S::layer_type::out_padded; o += fb::size) {
        const fb v = xsimd::to_float(ib::load_aligned(acc + o)) * fb::load_aligned(s.scale.data() + o);
        xsimd::min(xsimd::max(xsimd::nearbyint_as_int(v) + zero, lo), hi).store_aligned(codes + o);
      }
      kernels::narrow_to_uint8<S::layer_type::out_padded>(codes, out);
      run<K + 1>(out, in, y);
    }
  }

  detail::quant::affine_range input_;
  stages_type stages_;
};

namespace detail::quant {

inline std::pair<double, double> range_of(std::vector<double>& v, double percentile) {
  if (v.empty()) return {0, 0};
  if (percentile >= 100) {
    const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return {*lo, *hi};
  }
  const auto at = [&](double p) {
    const auto k = static_cast<std::size_t>(std::llround(p / 100 * static_cast<double>(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  return {at(100 - percentile), at(percentile)};
}

} // namespace detail::quant

/// The integer network of `n` (rows: `count` calibration inputs, one after the other).
template <class Model>
quantized<Model> quantize_rows(const net<Model, float>& n, std::span<const float> rows, std::size_t count,
                               quantize_options options = {}) {
  using plan = detail::quant::plan<Model>;
  if constexpr (plan::first_unsupported != 0) {
    constexpr std::size_t bad = plan::first_unsupported;
    static_assert(diag::layer_has_no_integer_form<diag::layer_index<bad>, typename Model::template layer<bad>,
                                                  diag::fix_quantize_networks_of_dense_relu_dropout_and_flatten>::ok,
                  "ctnn::quantize: this layer has no integer form yet; the failed condition names it");
    return {};
  } else {
    constexpr std::size_t in_size = Model::input_shape::size;
    if (count == 0 || rows.size() != count * in_size)
      throw std::invalid_argument("quantize: expected calibration rows of " + std::to_string(in_size) +
                                  " values, found " + std::to_string(rows.size()) + " values for " +
                                  std::to_string(count) + " rows");
    quantized<Model> q;
    auto& net_ = const_cast<net<Model, float>&>(n); // layer<I>() views are read only here
    // the float forward in double, layer by layer, over every calibration row
    std::vector<double> act(rows.begin(), rows.end());
    std::size_t width = in_size;
    {
      std::vector<double> values(act);
      const auto [lo, hi] = detail::quant::range_of(values, options.percentile);
      q.input_range() = detail::quant::affine_range::of(lo, hi);
    }
    detail::quant::affine_range in_range = q.input_range();
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (
          [&] {
            auto& s = q.template stage<K>();
            using S = std::remove_cvref_t<decltype(s)>;
            const auto view = net_.template layer<plan::dense_index(K)>();
            // the float layer over the calibration rows
            std::vector<double> next(count * S::out);
            for (std::size_t r = 0; r < count; ++r)
              for (std::size_t o = 0; o < S::out; ++o) {
                double sum = view.bias(o);
                for (std::size_t i = 0; i < S::in; ++i) sum += double(view.weight(o, i)) * act[r * width + i];
                next[r * S::out + o] = S::relu ? std::max(sum, 0.0) : sum;
              }
            // weights: int8 per output channel; the bias with the input's zero point folded in
            std::vector<std::int8_t> wq(S::in * S::out);
            std::vector<std::int32_t> bq(S::out);
            std::vector<double> sw(S::out);
            for (std::size_t o = 0; o < S::out; ++o) {
              double m = 0;
              for (std::size_t i = 0; i < S::in; ++i) m = std::max(m, std::abs(double(view.weight(o, i))));
              sw[o] = m > 0 ? m / 127 : 1;
              std::int64_t wsum = 0;
              for (std::size_t i = 0; i < S::in; ++i) {
                const auto w = static_cast<std::int8_t>(
                    std::clamp<long>(std::lround(double(view.weight(o, i)) / sw[o]), -127, 127));
                wq[o * S::in + i] = w;
                wsum += w;
              }
              const double bs = in_range.scale * sw[o];
              bq[o] = static_cast<std::int32_t>(std::llround(double(view.bias(o)) / bs) - in_range.zero * wsum);
            }
            s.layer.set(wq, bq, "quantize: layer " + std::to_string(plan::dense_index(K)));
            if constexpr (S::last) {
              for (std::size_t o = 0; o < S::out; ++o) s.scale[o] = static_cast<float>(in_range.scale * sw[o]);
            } else {
              std::vector<double> values(next);
              const auto [lo, hi] = detail::quant::range_of(values, options.percentile);
              const auto out_range = detail::quant::affine_range::of(lo, hi);
              s.out_zero = out_range.zero;
              for (std::size_t o = 0; o < S::out; ++o)
                s.scale[o] = static_cast<float>(in_range.scale * sw[o] / out_range.scale);
              in_range = out_range;
            }
            act = std::move(next);
            width = S::out;
          }(),
          ...);
    }
    (std::make_index_sequence<plan::dense_count>{});
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
