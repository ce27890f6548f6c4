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

#include <algorithm>
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

/// x[0..N) rounded to bf16 into y, vectorized: round_to_bf16 of each (the same bits).
template <std::size_t N>
void round_to_bf16(const float* x, std::uint16_t* y) noexcept {
  using ub = simd<std::uint32_t>;
  constexpr std::size_t n = ub::size, whole = N / n * n;
  const ub one(1u), half(0x7FFFu), magnitude(0x7FFFFFFFu), inf(0x7F800000u), quiet(0x40u);
  alignas(64) std::uint32_t t[n];
  for (std::size_t i = 0; i < whole; i += n) {
    const ub b = ub::load_unaligned(reinterpret_cast<const std::uint32_t*>(x + i));
    const ub rounded = (b + half + ((b >> 16) & one)) >> 16;
    xsimd::select((b & magnitude) > inf, (b >> 16) | quiet, rounded).store_aligned(t);
    for (std::size_t k = 0; k < n; ++k) y[i + k] = static_cast<std::uint16_t>(t[k]);
  }
  for (std::size_t i = whole; i < N; ++i) y[i] = round_to_bf16(x[i]);
}

namespace detail {

/// One block of NR output registers over every pair: sums in L::chains x NR independent
/// registers, pair g in chain g % chains (as the reference), the chains added in a fixed order.
template <class L, std::size_t NR, class Reg, class Step, class Add>
CTNN_ALWAYS_INLINE void bf16_block(Reg (&out)[NR], Reg zero, Step step, Add add) noexcept {
  constexpr std::size_t C = L::chains;
  Reg acc[C][NR];
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t r = 0; r < NR; ++r) acc[c][r] = zero;
  constexpr std::size_t whole = L::pairs / C * C;
  for (std::size_t g = 0; g < whole; g += C) {
    CTNN_UNROLL for (std::size_t c = 0; c < C; ++c) step(acc[c], g + c);
  }
  CTNN_UNROLL for (std::size_t c = 0; c < L::pairs - whole; ++c) step(acc[c], whole + c);
  for (std::size_t r = 0; r < NR; ++r)
    out[r] = C == 4 ? add(add(acc[0][r], acc[1 % C][r]), add(acc[2 % C][r], acc[3 % C][r])) : acc[0][r];
}

} // namespace detail

/// y[o] = b[o] + sum_i x[i] W[o][i] with this translation unit's best instructions, equal to
/// bf16_affine_reference bit for bit (denormals aside). x: in_padded bf16 values (the padding
/// zero); w: weight_size values, aligned to 64 bytes; y: out_padded floats.
template <std::size_t In, std::size_t Out>
void bf16_affine(const std::uint16_t* x, const std::uint16_t* w, const float* b, float* y) noexcept {
  using L = bf16_affine_layout<In, Out>;
  const auto pair_at = [&](std::size_t g) {
    std::uint32_t p;
    std::memcpy(&p, x + 2 * g, 4);
    return p;
  };
#if defined(__AVX512BF16__)
  constexpr std::size_t regs = L::out_padded / 16, rb = std::min<std::size_t>(regs, 12 / L::chains);
  const auto block = [&]<std::size_t NR>(std::size_t r0) {
    __m512 out[NR];
    detail::bf16_block<L, NR>(
        out, _mm512_setzero_ps(),
        [&](__m512* a, std::size_t g) {
          const __m512i xv = _mm512_set1_epi32(static_cast<int>(pair_at(g)));
          const std::uint16_t* wg = w + g * L::out_padded * 2 + 32 * r0;
          CTNN_UNROLL for (std::size_t r = 0; r < NR; ++r) a[r] =
              _mm512_dpbf16_ps(a[r], (__m512bh)xv, (__m512bh)_mm512_load_si512(wg + 32 * r));
        },
        [](__m512 p, __m512 q) { return _mm512_add_ps(p, q); });
    for (std::size_t r = 0; r < NR; ++r) _mm512_storeu_ps(y + 16 * (r0 + r), out[r]);
  };
#else
  using fb = simd<float>;
  using ub = simd<std::uint32_t>;
  constexpr std::size_t n = fb::size, regs = L::out_padded / n;
  constexpr std::size_t rb = std::min<std::size_t>(regs, (vector_registers<> >= 32 ? 12 : 4) / L::chains);
  const ub high(0xFFFF0000u);
  const auto block = [&]<std::size_t NR>(std::size_t r0) {
    fb out[NR];
    detail::bf16_block<L, NR>(
        out, fb(0.0f),
        [&](fb* a, std::size_t g) {
          const std::uint32_t p = pair_at(g);
          const fb x_odd(std::bit_cast<float>(p & 0xFFFF0000u)), x_even(std::bit_cast<float>(p << 16));
          const auto* wg = reinterpret_cast<const std::uint32_t*>(w + g * L::out_padded * 2) + n * r0;
          CTNN_UNROLL for (std::size_t r = 0; r < NR; ++r) {
            const ub wv = ub::load_aligned(wg + n * r);
            // exact products: an FMA is a multiply and an add
            a[r] = xsimd::fma(x_odd, xsimd::bitwise_cast<fb>(ub(wv & high)), a[r]);
            a[r] = xsimd::fma(x_even, xsimd::bitwise_cast<fb>(ub(wv << 16)), a[r]);
          }
        },
        [](fb p, fb q) { return p + q; });
    for (std::size_t r = 0; r < NR; ++r) out[r].store_unaligned(y + n * (r0 + r));
  };
#endif
  for (std::size_t r0 = 0; r0 + rb <= regs; r0 += rb) block.template operator()<rb>(r0);
  if constexpr (regs % rb != 0) block.template operator()<regs % rb>(regs / rb * rb);
  for (std::size_t o = 0; o < Out; ++o) y[o] += b[o];
}

/// bf16_affine for Rows samples at once (sample s reads x + s * x_stride, writes y + s * y_stride),
/// equal to Rows calls of bf16_affine bit for bit: each sample's sums run through the same chains
/// in the same order. With AVX-512 BF16 each weight register loaded feeds one vdpbf16ps per
/// sample of a pass (about 20 sums in registers); elsewhere the samples go one by one.
template <std::size_t In, std::size_t Out, std::size_t Rows>
void bf16_affine_rows(const std::uint16_t* x, std::size_t x_stride, const std::uint16_t* w, const float* b, float* y,
                      std::size_t y_stride) noexcept {
#if defined(__AVX512BF16__)
  using L = bf16_affine_layout<In, Out>;
  constexpr std::size_t regs = L::out_padded / 16;
  constexpr std::size_t sb = std::min<std::size_t>(Rows, std::min<std::size_t>(8, 20 / L::chains));
  const auto pair_at = [&](std::size_t s, std::size_t g) {
    std::uint32_t p;
    std::memcpy(&p, x + s * x_stride + 2 * g, 4);
    return static_cast<int>(p);
  };
  const auto pass = [&]<std::size_t NS>(std::size_t r, std::size_t s0) {
    // bf16_block's registers are the samples here: one weight register feeds each of them
    __m512 out[NS];
    detail::bf16_block<L, NS>(
        out, _mm512_setzero_ps(),
        [&](__m512* a, std::size_t g) {
          const __m512bh wv = (__m512bh)_mm512_load_si512(w + g * L::out_padded * 2 + 32 * r);
          CTNN_UNROLL for (std::size_t s = 0; s < NS; ++s) a[s] =
              _mm512_dpbf16_ps(a[s], (__m512bh)_mm512_set1_epi32(pair_at(s0 + s, g)), wv);
        },
        [](__m512 p, __m512 q) { return _mm512_add_ps(p, q); });
    const std::size_t from = 16 * r, n = from < Out ? std::min<std::size_t>(16, Out - from) : 0;
    const __m512 bias = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << n) - 1), b + std::min(from, Out));
    for (std::size_t s = 0; s < NS; ++s) _mm512_storeu_ps(y + (s0 + s) * y_stride + from, _mm512_add_ps(out[s], bias));
  };
  for (std::size_t r = 0; r < regs; ++r) {
    for (std::size_t s0 = 0; s0 + sb <= Rows; s0 += sb) pass.template operator()<sb>(r, s0);
    if constexpr (Rows % sb != 0) pass.template operator()<Rows % sb>(r, Rows / sb * sb);
  }
#else
  for (std::size_t s = 0; s < Rows; ++s) bf16_affine<In, Out>(x + s * x_stride, w, b, y + s * y_stride);
#endif
}

} // namespace CTNN_NAMESPACE::kernels
