// int8::max_pool and int8::global_avg_pool: the int8 stages of max_pool2d, max_pool1d and
// global_avg_pool (ctnn::quantize).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/value_reader.hpp>
#include <ctnn/core/window.hpp>
#include <ctnn/kernels/simd.hpp> // <immintrin.h>
#include <ctnn/layers/int8/codes.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE::layers::int8 {

/// The max of each window of codes (quantization keeps the order); a clamp at 0 after the pool
/// clamps at the zero point. It keeps its input's scale and zero point (keeps_codes), so it cannot
/// be a network's last stage (can_end: the last stage gives float).
template <window_geometry G, bool Clamp, bool Last>
struct max_pool {
  static constexpr bool clamp = Clamp, last = Last, can_end = false;
  static constexpr bool keeps_codes = true; ///< a fake_quantize after it observed its input's codes
  static constexpr bool weighted = false;
  static constexpr std::size_t value_count = 1; ///< the zero point
  static constexpr std::size_t in_codes = G.c * G.h * G.w, out_codes = G.c * G.oh * G.ow;
  int zero = 0; ///< the zero point of the codes (a relu after the pool clamps there)
  void run(const std::uint8_t* in, std::uint8_t* out, float*) const noexcept {
    // per output row: the max over the window's rows (contiguous, vectorized), then over its columns
    const auto floor = static_cast<std::uint8_t>(Clamp ? zero : 0);
    constexpr std::size_t span = (G.ow - 1) * G.sw + (G.kw - 1) * G.dw + 1; // padded columns a row reads
    for (std::size_t c = 0; c < G.c; ++c) {
      const std::uint8_t* plane = in + c * G.h * G.w;
      for (std::size_t oy = 0; oy < G.oh; ++oy) {
        constexpr std::size_t vectors = (G.ow + 15) / 16; // of the 2 x 2 path below
        constexpr std::size_t columns = (G.w + 15) / 16 * 16;
        alignas(16) std::uint8_t t[std::max({span + G.pl + G.pr + 1, 32 * vectors, G.pl + columns})];
        std::fill_n(t, std::size(t), floor); // padding never wins: it is the floor
        for (std::size_t i = 0; i < G.kh; ++i) {
          const std::ptrdiff_t yy = std::ptrdiff_t(oy * G.sh + i * G.dh) - std::ptrdiff_t(G.pt);
          if (yy < 0 || yy >= std::ptrdiff_t(G.h)) continue;
          const std::uint8_t* row = plane + std::size_t(yy) * G.w;
          // whole vectors (reading past the row: the codes buffer has the slack; what lands past
          // the row is set back to the floor below). Byte by byte, the 16-byte loads of the
          // column pass waited on the stores (no store forwarding): 40% of a CNN's time.
          for (std::size_t x = 0; x < columns; x += 16) {
#if defined(__SSE2__)
            auto* d = reinterpret_cast<__m128i*>(t + G.pl + x);
            _mm_storeu_si128(
                d, _mm_max_epu8(_mm_loadu_si128(d), _mm_loadu_si128(reinterpret_cast<const __m128i*>(row + x))));
#else
            for (std::size_t k = x; k < x + 16; ++k) t[G.pl + k] = t[G.pl + k] > row[k] ? t[G.pl + k] : row[k];
#endif
          }
        }
        if constexpr (span > G.pl + G.w) // windows over the right padding: set it back to the floor
          std::fill(t + G.pl + G.w, t + std::size(t), floor);
        std::uint8_t* o = out + (c * G.oh + oy) * G.ow;
        std::size_t ox = 0;
#if defined(__SSE2__)
        if constexpr (G.kw == 2 && G.sw == 2 && G.dw == 1) { // the common 2 x 2 pool: 16 outputs at a time
          const __m128i low = _mm_set1_epi16(0x00FF);
          // whole vectors, the last one past the row: what lands on the next row (or the buffer's
          // slack) is written over after
          for (; ox < G.ow; ox += 16) {
            const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 2 * ox));
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 2 * ox + 16));
            const __m128i ma = _mm_max_epi16(_mm_and_si128(a, low), _mm_srli_epi16(a, 8));
            const __m128i mb = _mm_max_epi16(_mm_and_si128(b, low), _mm_srli_epi16(b, 8));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(o + ox), _mm_packus_epi16(ma, mb));
          }
        }
#endif
        for (; ox < G.ow; ++ox) {
          std::uint8_t m = t[ox * G.sw];
          for (std::size_t j = 1; j < G.kw; ++j) {
            const std::uint8_t v = t[ox * G.sw + j * G.dw];
            m = m > v ? m : v;
          }
          o[ox] = m;
        }
      }
    }
  }
  /// The float max pool in double, one sample (calibration).
  static void reference(const double* in, double* out) {
    for (std::size_t c = 0; c < G.c; ++c)
      for (std::size_t oy = 0; oy < G.oh; ++oy)
        for (std::size_t ox = 0; ox < G.ow; ++ox) {
          double m = -1e300;
          for (std::size_t i = 0; i < G.kh; ++i)
            for (std::size_t j = 0; j < G.kw; ++j) {
              const std::ptrdiff_t yy = std::ptrdiff_t(oy * G.sh + i * G.dh) - std::ptrdiff_t(G.pt);
              const std::ptrdiff_t xx = std::ptrdiff_t(ox * G.sw + j * G.dw) - std::ptrdiff_t(G.pl);
              if (yy >= 0 && yy < std::ptrdiff_t(G.h) && xx >= 0 && xx < std::ptrdiff_t(G.w))
                m = std::max(m, in[(c * G.h + std::size_t(yy)) * G.w + std::size_t(xx)]);
            }
          out[(c * G.oh + oy) * G.ow + ox] = Clamp ? std::max(m, 0.0) : m;
        }
  }
  /// A max keeps the scale and the zero point.
  template <class OutRange>
  affine_range quantize(affine_range in, OutRange&&) {
    zero = in.zero;
    return in;
  }
  static constexpr std::int64_t worst_case_sum(const double*) noexcept { return 0; } ///< no sums
  void export_values(std::vector<double>& v) const { v.push_back(zero); }
  void import_values(value_reader& r, const std::string&) {
    zero = static_cast<int>(r.integer(0, 127, "a zero point"));
  }
};

/// The mean of each of C channels of N codes: the codes summed in int32, then one float multiply
/// and a round to nearest even as every requantization (the same on every instruction set):
///   q[c] = clamp(z_out + round((sum_i q[c][i] - N z_in) m), lo, 127), m = s_in / (N s_out)
///   last: y[c] = (sum_i q[c][i] - N z_in) m in float, m = s_in / N (clamped at 0 if a relu follows)
template <std::size_t C, std::size_t N, bool Clamp, bool Last>
struct global_avg_pool {
  static constexpr bool clamp = Clamp, last = Last;
  static constexpr bool weighted = false;
  static constexpr std::size_t value_count = 3; ///< the input's and the output's zero points, m
  static constexpr std::size_t in_codes = C * N, out_codes = C;
  int in_zero = 0, out_zero = 0;
  float multiplier = 1;

  void run(const std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    for (std::size_t c = 0; c < C; ++c) {
      std::int32_t sum = 0;
      for (std::size_t i = 0; i < N; ++i) sum += in[c * N + i];
      const float v = static_cast<float>(sum - static_cast<std::int32_t>(N) * in_zero) * multiplier;
      if constexpr (Last) {
        y[c] = Clamp ? std::max(v, 0.0f) : v;
      } else {
        const int q = out_zero + static_cast<int>(std::nearbyint(v));
        out[c] = static_cast<std::uint8_t>(std::clamp(q, Clamp ? out_zero : 0, 127));
      }
    }
  }
  /// The float mean in double, one sample (calibration).
  static void reference(const double* in, double* out) {
    for (std::size_t c = 0; c < C; ++c) {
      double s = 0;
      for (std::size_t i = 0; i < N; ++i) s += in[c * N + i];
      out[c] = Clamp ? std::max(s / N, 0.0) : s / N;
    }
  }
  template <class OutRange>
  affine_range quantize(affine_range in, OutRange&& out_range) {
    in_zero = in.zero;
    if constexpr (Last) {
      multiplier = static_cast<float>(in.scale / N);
      return in;
    } else {
      const affine_range out = out_range();
      out_zero = out.zero;
      multiplier = static_cast<float>(in.scale / (static_cast<double>(N) * out.scale));
      return out;
    }
  }
  /// Its int32 sums: at most N codes of 127.
  static constexpr std::int64_t worst_case_sum(const double*) noexcept { return std::int64_t{127} * N; }
  void export_values(std::vector<double>& v) const {
    v.push_back(in_zero);
    v.push_back(out_zero);
    v.push_back(multiplier);
  }
  void import_values(value_reader& r, const std::string&) {
    in_zero = static_cast<int>(r.integer(0, 127, "a zero point"));
    out_zero = static_cast<int>(r.integer(0, 127, "a zero point"));
    multiplier = static_cast<float>(r.positive("a scale"));
  }
};

} // namespace CTNN_NAMESPACE::layers::int8
