// What the int8 stages with weights (int8::dense, int8::conv) share: int8 weights with one scale
// per output channel over uint8 codes, int32 sums, and the requantization of the sums to the next
// stage's codes (or to float for the last stage). ctnn::quantize sets them from a float layer.
//
//   weight       W[o][i] ~ sw[o] * Wq[o][i], Wq in -127..127, sw[o] = max_i |W[o][i]| / 127, rounded
//                half to even as PyTorch's quantize_per_channel
//   bias         bq[o] = round(b[o] / (s_in sw[o])) - z_in * sum_i Wq[o][i] (the input's zero point
//                folded into the bias, so the kernel multiplies the uint8 codes as they are)
//   requantize   q_out = clamp(z_out + round(acc * m[o]), lo, 127), m[o] = s_in sw[o] / s_out a float;
//                lo = z_out when a clamp at 0 (relu) follows, else 0
//   last stage   y[o] = s_in sw[o] * acc[o] (float; clamped at 0 if a relu follows)
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/bound_error.hpp>
#include <ctnn/core/value_reader.hpp>
#include <ctnn/kernels/integer.hpp>
#include <ctnn/layers/int8/codes.hpp>
#include <ctnn/layers/int8_dense.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE::layers::int8 {

/// In codes (a conv's window) times int8 weights: Out sums, requantized.
template <std::size_t In, std::size_t Out, bool Clamp, bool Last>
struct affine {
  using layer_type = int8_dense<In, Out, 127>;
  static constexpr bool clamp = Clamp, last = Last;
  static constexpr bool weighted = true; ///< quantize() hands it the float layer's view
  /// weights [out][in], biases, scales, the output's and the input's zero points
  static constexpr std::size_t value_count = In * Out + 2 * Out + 2;
  layer_type layer;
  /// Not last: the requantization multipliers m[o]; last: the float value of one unit of sum o.
  alignas(64) std::array<float, layer_type::out_padded> scale{};
  int out_zero = 0; ///< the zero point of the outputs
  int in_zero = 0;  ///< the zero point of the inputs (a conv's padding)

  void outputs(const std::int32_t* acc, std::uint8_t* out, float* y) const noexcept {
    if constexpr (Last) {
      for (std::size_t o = 0; o < Out; ++o) y[o] = float_output(acc[o], scale[o]);
    } else {
      alignas(64) std::int32_t codes[layer_type::out_padded];
      requantize<layer_type::out_padded>(acc, scale.data(), out_zero, Clamp ? out_zero : 0, codes);
      kernels::narrow_to_uint8<layer_type::out_padded>(codes, out);
    }
  }

  /// The float value of a last stage's sum (clamped at 0 if a relu follows).
  static float float_output(std::int32_t acc, float scale) noexcept {
    const float y = scale * static_cast<float>(acc);
    return Clamp ? std::max(y, 0.0f) : y;
  }

  /// One output of the float layer in double over a window of In values (calibration).
  template <class View>
  static double sum(const View& view, std::size_t o, const double* window) {
    double s = view.bias(o);
    for (std::size_t i = 0; i < In; ++i) s += double(view.weight(o, i)) * window[i];
    return Clamp ? std::max(s, 0.0) : s;
  }

  /// Quantizes the float layer `view` (weight(o, i), bias(o)) over inputs coded by `in`; the
  /// outputs are coded by out_range() (called unless last). Returns the outputs' code range.
  template <class View, class OutRange>
  affine_range quantize(const View& view, affine_range in, OutRange&& out_range, const std::string& where) {
    std::vector<std::int8_t> wq(In * Out);
    std::vector<std::int32_t> bq(Out);
    std::vector<double> sw(Out);
    for (std::size_t o = 0; o < Out; ++o) {
      sw[o] = channel_scale(view, o);
      std::int64_t wsum = 0;
      for (std::size_t i = 0; i < In; ++i) {
        const auto w =
            static_cast<std::int8_t>(std::clamp<double>(std::nearbyint(double(view.weight(o, i)) / sw[o]), -127, 127));
        wq[o * In + i] = w;
        wsum += w;
      }
      bq[o] = static_cast<std::int32_t>(std::llround(double(view.bias(o)) / (in.scale * sw[o])) - in.zero * wsum);
    }
    layer.set(wq, bq, where);
    in_zero = in.zero;
    if constexpr (Last) {
      for (std::size_t o = 0; o < Out; ++o) scale[o] = static_cast<float>(in.scale * sw[o]);
      return in;
    } else {
      const affine_range out = out_range();
      out_zero = out.zero;
      for (std::size_t o = 0; o < Out; ++o) scale[o] = static_cast<float>(in.scale * sw[o] / out.scale);
      return out;
    }
  }

  /// The float weights of `view` fake-quantized in place as quantize quantizes them
  /// (quantization-aware training): w = clamp(nearbyint(w / s), -127, 127) s per output channel,
  /// PyTorch's fake_quantize_per_channel_affine with zero point 0. Biases stay float.
  template <class View>
  static void fake_quantize(View& view) {
    for (std::size_t o = 0; o < Out; ++o) {
      const double s = channel_scale(view, o);
      for (std::size_t i = 0; i < In; ++i) {
        auto& w = view.weight(o, i);
        w = static_cast<std::remove_cvref_t<decltype(w)>>(std::clamp(std::nearbyint(double(w) / s), -127.0, 127.0) * s);
      }
    }
  }

  /// The worst case |bias| + 127 sum |w| over the outputs, from values in export_values' order
  /// (compile time: make_embedded proves embedded values with it).
  static constexpr std::int64_t worst_case_sum(const double* v) noexcept {
    std::int64_t worst = 0;
    for (std::size_t o = 0; o < Out; ++o) {
      const double b = v[In * Out + o];
      std::int64_t s = static_cast<std::int64_t>(b < 0 ? -b : b);
      for (std::size_t i = 0; i < In; ++i) {
        const double w = v[o * In + i];
        s += 127 * static_cast<std::int64_t>(w < 0 ? -w : w);
      }
      worst = s > worst ? s : worst;
    }
    return worst;
  }

  void export_values(std::vector<double>& v) const {
    for (std::size_t o = 0; o < Out; ++o)
      for (std::size_t i = 0; i < In; ++i) v.push_back(layer.weight(o, i));
    for (std::size_t o = 0; o < Out; ++o) v.push_back(layer.bias(o));
    for (std::size_t o = 0; o < Out; ++o) v.push_back(scale[o]);
    v.push_back(out_zero);
    v.push_back(in_zero);
  }
  /// Reads export_values' order, each value checked; the weights' sums proved not to overflow.
  void import_values(value_reader& r, const std::string& where) {
    std::vector<std::int8_t> w(In * Out);
    std::vector<std::int32_t> b(Out);
    for (auto& x : w) x = static_cast<std::int8_t>(r.integer(-128, 127, "an int8 weight"));
    for (auto& x : b) x = static_cast<std::int32_t>(r.integer(-2147483648.0, 2147483647.0, "an int32 bias"));
    for (std::size_t o = 0; o < Out; ++o) scale[o] = static_cast<float>(r.positive("a scale"));
    out_zero = static_cast<int>(r.integer(0, 127, "a zero point"));
    in_zero = static_cast<int>(r.integer(0, 127, "a zero point"));
    try {
      layer.set(w, b, where);
    } catch (const bound_error& e) {
      throw std::invalid_argument(e.what());
    }
  }

private:
  template <class View>
  static double channel_scale(const View& view, std::size_t o) {
    double m = 0;
    for (std::size_t i = 0; i < In; ++i) m = std::max(m, std::abs(double(view.weight(o, i))));
    return m > 0 ? m / 127 : 1;
  }
};

} // namespace CTNN_NAMESPACE::layers::int8
