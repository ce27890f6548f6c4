// int8::dense: the int8 stage of dense<Units> (ctnn::quantize): the codes times int8 weights
// (kernels::int8_affine; int8_affine_rows for several samples at once), requantized.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/layers/int8/affine.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace CTNN_NAMESPACE::layers::int8 {

template <std::size_t In, std::size_t Out, bool Clamp, bool Last>
struct dense : affine<In, Out, Clamp, Last> {
  static constexpr std::size_t in_codes = In, out_codes = Out;

  void run(const std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    alignas(64) std::int32_t acc[dense::layer_type::out_padded];
    this->layer.forward(in, acc);
    this->outputs(acc, out, y);
  }
  /// Rows samples at once (codes every `codes` bytes, outputs every `outputs` floats), each weight
  /// load shared by several of them.
  template <std::size_t Rows>
  void run_rows(const std::uint8_t* in, std::uint8_t* out, float* y, std::size_t codes,
                std::size_t outputs) const noexcept {
    constexpr std::size_t stride = dense::layer_type::out_padded;
    alignas(64) std::int32_t acc[Rows * stride];
    this->layer.template forward_rows<Rows>(in, codes, acc, stride);
    for (std::size_t s = 0; s < Rows; ++s) this->outputs(acc + s * stride, out + s * codes, y + s * outputs);
  }

  /// The float layer in double, one sample (calibration).
  template <class View>
  static void reference(const View& view, const double* in, double* out) {
    for (std::size_t o = 0; o < Out; ++o) out[o] = dense::sum(view, o, in);
  }
};

} // namespace CTNN_NAMESPACE::layers::int8
