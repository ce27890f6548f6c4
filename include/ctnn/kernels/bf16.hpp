// bf16 kernels: the affine transform with bfloat16 inputs and weights and float sums, as AVX-512
// BF16's vdpbf16ps computes it, and the same arithmetic emulated on every other instruction set.
//
// bf16 is a float's upper 16 bits: the same exponent range, 8 bits of mantissa. The product of two
// bf16 values is exact in float, so a pair's dot product added to a float sum in vdpbf16ps's order
// (the odd element's product first, then the even one's, each addition rounded to nearest even)
// is the same whether an instruction does it or a multiply-add does: every instruction set gives
// the same sums (denormals aside: vdpbf16ps flushes them to zero, the emulation keeps them; a
// network's values are nowhere near 1e-38). The sums are kept in a fixed number of chains (pairs
// g, g + chains, ... in chain g) added together in a fixed order, on every path.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace CTNN_NAMESPACE::kernels {

/// The instruction set the bf16 kernels of this translation unit use: "avx512bf16" or "emulated".
inline constexpr const char* bf16_isa =
#if defined(__AVX512BF16__)
    "avx512bf16";
#else
    "emulated";
#endif

/// A float rounded to the nearest bf16 (ties to even), as vcvtneps2bf16 rounds; NaN stays NaN.
constexpr std::uint16_t round_to_bf16(float x) noexcept {
  const std::uint32_t b = std::bit_cast<std::uint32_t>(x);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((b >> 16) | 0x40u); // quiet NaN
  return static_cast<std::uint16_t>((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}
constexpr float bf16_to_float(std::uint16_t h) noexcept { return std::bit_cast<float>(std::uint32_t{h} << 16); }

/// Where a bf16 affine transform's weights live: pairs of consecutive inputs, and within a pair
/// every output's two weights side by side (vdpbf16ps's order), outputs padded to 16:
///   W[o][i] is at index(i, o). Padding weights are zero; the inputs' padding must be zero too.
template <std::size_t In, std::size_t Out>
struct bf16_affine_layout {
  static constexpr std::size_t pairs = (In + 1) / 2;
  static constexpr std::size_t in_padded = pairs * 2;
  static constexpr std::size_t out_padded = (Out + 15) / 16 * 16;
  static constexpr std::size_t weight_size = pairs * out_padded * 2;
  /// Independent sums per output: pair g goes to chain g % chains.
  static constexpr std::size_t chains = pairs >= 16 ? 4 : 1;
  static constexpr std::size_t index(std::size_t i, std::size_t o) noexcept {
    return (i / 2) * out_padded * 2 + o * 2 + i % 2;
  }
};

/// y[o] = b[o] + sum_i x[i] W[o][i] in the order every path uses: the reference twin.
template <std::size_t In, std::size_t Out>
void bf16_affine_reference(const std::uint16_t* x, const std::uint16_t* w, const float* b, float* y) noexcept {
  using L = bf16_affine_layout<In, Out>;
  for (std::size_t o = 0; o < L::out_padded; ++o) {
    float chain[L::chains] = {};
    for (std::size_t g = 0; g < L::pairs; ++g) {
      float& s = chain[g % L::chains];
      s += bf16_to_float(x[2 * g + 1]) * bf16_to_float(w[L::index(2 * g + 1, o)]); // exact product, one rounding
      s += bf16_to_float(x[2 * g]) * bf16_to_float(w[L::index(2 * g, o)]);
    }
    float sum = chain[0];
    if constexpr (L::chains == 4) sum = (chain[0] + chain[1]) + (chain[2] + chain[3]);
    y[o] = sum + (o < Out ? b[o] : 0.0f);
  }
}

/// y[o] = b[o] + sum_i x[i] W[o][i] with this translation unit's best instructions, equal to
/// bf16_affine_reference bit for bit (denormals aside). x: in_padded bf16 values (the padding
/// zero); w: weight_size values, aligned to 64 bytes; y: out_padded floats.
template <std::size_t In, std::size_t Out>
void bf16_affine(const std::uint16_t* x, const std::uint16_t* w, const float* b, float* y) noexcept {
  using L = bf16_affine_layout<In, Out>;
  constexpr std::size_t C = L::chains;
#if defined(__AVX512BF16__)
  constexpr std::size_t regs = L::out_padded / 16;
  for (std::size_t r = 0; r < regs; ++r) {
    __m512 acc[C];
    for (std::size_t c = 0; c < C; ++c) acc[c] = _mm512_setzero_ps();
    for (std::size_t g = 0; g < L::pairs; ++g) {
      std::int32_t pair;
      std::memcpy(&pair, x + 2 * g, 4);
      const __m512i xv = _mm512_set1_epi32(pair);
      const __m512i wv = _mm512_load_si512(w + g * L::out_padded * 2 + 32 * r);
      acc[g % C] = _mm512_dpbf16_ps(acc[g % C], (__m512bh)xv, (__m512bh)wv);
    }
    __m512 sum = acc[0];
    if constexpr (C == 4) sum = _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3]));
    _mm512_storeu_ps(y + 16 * r, sum);
  }
#else
  using fb = simd<float>;
  using ub = simd<std::uint32_t>;
  constexpr std::size_t n = fb::size, blocks = L::out_padded / n;
  const ub high(0xFFFF0000u);
  for (std::size_t r = 0; r < blocks; ++r) {
    fb acc[C];
    for (std::size_t c = 0; c < C; ++c) acc[c] = fb(0.0f);
    for (std::size_t g = 0; g < L::pairs; ++g) {
      const fb x_odd(bf16_to_float(x[2 * g + 1])), x_even(bf16_to_float(x[2 * g]));
      const ub wv = ub::load_unaligned(reinterpret_cast<const std::uint32_t*>(w + g * L::out_padded * 2) + n * r);
      const fb w_odd = xsimd::bitwise_cast<fb>(ub(wv & high)), w_even = xsimd::bitwise_cast<fb>(ub(wv << 16));
      acc[g % C] = xsimd::fma(x_odd, w_odd, acc[g % C]); // exact products: an FMA is a multiply and an add
      acc[g % C] = xsimd::fma(x_even, w_even, acc[g % C]);
    }
    fb sum = acc[0];
    if constexpr (C == 4) sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    sum.store_unaligned(y + n * r);
  }
#endif
  for (std::size_t o = 0; o < Out; ++o) y[o] += b[o];
}

} // namespace CTNN_NAMESPACE::kernels
