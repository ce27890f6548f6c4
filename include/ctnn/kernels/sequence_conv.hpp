// The kernel of 1-D convolutions over time-major sequences (layers/sequence_conv.hpp): one tap of
// the window, a frame of C input channels through its [C][Fp] weights into Fp/L accumulator
// registers. The whole-sequence forward and the stream's step both run it, tap after tap in the
// same order, so that a stepped stream equals the whole sequence exactly.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>

#include <cstddef>

namespace CTNN_NAMESPACE::kernels {

/// acc[r] += sum over c < C of frame[c] * w[c * Fp + r * L ...] for the Fp / L registers r.
/// w: aligned, C rows of Fp; frame: C values, any alignment.
template <std::size_t C, std::size_t Fp, class T, class Arch = default_arch>
CTNN_ALWAYS_INLINE void conv_tap(const T* w, const T* frame, simd<T, Arch>* acc) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t L = V::size, R = Fp / L;
  for (std::size_t c = 0; c < C; ++c) {
    const V xc(frame[c]);
    for (std::size_t r = 0; r < R; ++r) acc[r] = kernels::fma(xc, V::load_aligned(w + c * Fp + r * L), acc[r]);
  }
}

} // namespace CTNN_NAMESPACE::kernels
