// The codes of the int8 stages (ctnn::quantize): activations as uint8 codes 0..127 with a zero
// point, a ~ scale * (q - zero), and the requantization of int32 sums to codes. Every instruction
// set computes the same codes: one IEEE multiply and a round to nearest even, no add that an FMA
// could absorb on one instruction set and not on another.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/integer.hpp>
#include <ctnn/kernels/simd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE::layers::int8 {

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
  /// The codes of N floats into q (N rounded up to 16 codes; the padding is coded from 0):
  /// clamp(round(x * (1 / scale)) + zero, 0, 127), rounded half to even. A multiply by the
  /// reciprocal (a division costs as much as the int8 layer after it) and no add in float, so no
  /// FMA can absorb it on one instruction set and not another: every instruction set gives the
  /// same codes. The clamp is in float, to the integers -zero and 127 - zero, before rounding:
  /// the same codes as clamping after (rounding keeps the order and the integers), one pass.
  template <std::size_t N>
  void codes(const float* x, std::uint8_t* q) const noexcept {
    using fb = kernels::simd<float>;
    using ib = kernels::simd<std::int32_t>;
    static_assert(16 % fb::size == 0, "codes: whole vectors in 16 codes");
    constexpr std::size_t padded = (N + 15) / 16 * 16, whole = N / 16 * 16;
    const float inv = static_cast<float>(1.0 / scale), bottom = float(-zero), top = float(127 - zero);
    const fb r(inv), lo(bottom), hi(top);
    const ib z(zero);
    for (std::size_t i = 0; i < whole; i += 16) {
      alignas(64) std::int32_t c[16];
      for (std::size_t k = 0; k < 16; k += fb::size)
        (xsimd::nearbyint_as_int(xsimd::min(xsimd::max(fb::load_unaligned(x + i + k) * r, lo), hi)) + z)
            .store_aligned(c + k);
      kernels::narrow_to_uint8<16>(c, q + i);
    }
    if constexpr (whole < padded) {
      alignas(64) std::int32_t c[16];
      for (std::size_t i = whole; i < padded; ++i) {
        const float v = std::min(std::max((i < N ? x[i] : 0.0f) * inv, bottom), top);
        c[i - whole] = static_cast<std::int32_t>(std::nearbyint(v)) + zero;
      }
      kernels::narrow_to_uint8<16>(c, q + whole);
    }
  }
};

/// The requantization of one output position: codes[o] = clamp(zero + round(acc[o] * scale[o]),
/// lo, 127) for N (a multiple of 16) values, vectorized.
template <std::size_t N>
CTNN_ALWAYS_INLINE void requantize(const std::int32_t* acc, const float* scale, int zero, int lo,
                                   std::int32_t* codes) noexcept {
  using fb = kernels::simd<float>;
  using ib = kernels::simd<std::int32_t>;
  const ib z(zero), l(lo), h(127);
  for (std::size_t o = 0; o < N; o += fb::size) {
    const fb v = xsimd::to_float(ib::load_aligned(acc + o)) * fb::load_aligned(scale + o);
    xsimd::min(xsimd::max(xsimd::nearbyint_as_int(v) + z, l), h).store_aligned(codes + o);
  }
}

/// requantize for one filter's row of N sums (one scale), narrowed to codes 16 at a time (no
/// second pass over int32 codes in memory).
template <std::size_t N>
CTNN_ALWAYS_INLINE void requantize_row(const std::int32_t* acc, float scale, int zero, int lo,
                                       std::uint8_t* codes) noexcept {
  using fb = kernels::simd<float>;
  using ib = kernels::simd<std::int32_t>;
  static_assert(N % 16 == 0 && 16 % fb::size == 0, "requantize_row: whole groups of 16");
  const ib z(zero), l(lo), h(127);
  const fb m(scale);
  for (std::size_t o = 0; o < N; o += 16) {
    alignas(64) std::int32_t c[16];
    for (std::size_t k = 0; k < 16; k += fb::size)
      xsimd::min(xsimd::max(xsimd::nearbyint_as_int(xsimd::to_float(ib::load_aligned(acc + o + k)) * m) + z, l), h)
          .store_aligned(c + k);
    kernels::narrow_to_uint8<16>(c, codes + o);
  }
}

/// The [lo, hi] of calibration values: their min and max, or (percentile below 100) their
/// [100 - p, p] percentiles (reorders v).
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

} // namespace CTNN_NAMESPACE::layers::int8
