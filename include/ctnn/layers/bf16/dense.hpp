// bf16::dense: the bf16 stage of dense<Units> (ctnn::to_bf16): bf16 weights in
// kernels::bf16_affine's layout times the bf16 codes of its input, float sums and biases; the
// outputs, clamped at 0 if a relu follows, rounded to the next stage's bf16 codes (or float for
// the last stage).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/bf16.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

namespace CTNN_NAMESPACE::layers::bf16 {

/// One sample's N float sums, clamped at 0 if a relu follows: its float outputs y if last, else
/// its bf16 codes (and a 0 after them: the next stage's padding of an odd width).
template <std::size_t N, bool Clamp, bool Last>
void outputs(float* sums, std::uint16_t* codes, float* y) noexcept {
  if constexpr (Clamp)
    for (std::size_t o = 0; o < N; ++o) sums[o] = std::max(sums[o], 0.0f);
  if constexpr (Last) {
    std::copy_n(sums, N, y);
  } else {
    kernels::round_to_bf16<N>(sums, codes);
    codes[N] = 0;
  }
}

template <std::size_t In, std::size_t Out, bool Clamp, bool Last>
struct dense {
  using layout = kernels::bf16_affine_layout<In, Out>;
  static constexpr std::size_t in_size = In, out_size = Out;
  static constexpr bool clamp = Clamp, last = Last;
  /// The codes it reads and writes (the buffers between stages hold the widest).
  static constexpr std::size_t width = std::max(layout::in_padded, layout::out_padded);
  alignas(64) std::array<std::uint16_t, layout::weight_size> weights{};
  alignas(64) std::array<float, layout::out_padded> biases{};

  /// The float layer `view` (weight(o, i), bias(o)): weights rounded to bf16, biases kept.
  template <class View>
  void set(const View& view) {
    for (std::size_t o = 0; o < Out; ++o) {
      for (std::size_t i = 0; i < In; ++i) weights[layout::index(i, o)] = kernels::round_to_bf16(view.weight(o, i));
      biases[o] = view.bias(o);
    }
  }

  /// codes: In bf16 inputs (read), then Out bf16 outputs (written) unless last; y: float outputs.
  void run(std::uint16_t* codes, float* y) const noexcept {
    alignas(64) float sums[layout::out_padded];
    kernels::bf16_affine<In, Out>(codes, weights.data(), biases.data(), sums);
    outputs<Out, Clamp, Last>(sums, codes, y);
  }
  /// run for Rows samples at once: sample s's codes at codes + s * stride, its float outputs (if
  /// last) at y + s * outputs.
  template <std::size_t Rows>
  void run_rows(std::uint16_t* codes, std::size_t stride, float* y, std::size_t outputs_size) const noexcept {
    alignas(64) float sums[Rows * layout::out_padded];
    kernels::bf16_affine_rows<In, Out, Rows>(codes, stride, weights.data(), biases.data(), sums, layout::out_padded);
    for (std::size_t s = 0; s < Rows; ++s)
      outputs<Out, Clamp, Last>(sums + s * layout::out_padded, codes + s * stride, y + s * outputs_size);
  }
};

} // namespace CTNN_NAMESPACE::layers::bf16
