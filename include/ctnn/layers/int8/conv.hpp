// int8::conv: the int8 stage of conv2d and conv1d (ctnn::quantize; not grouped, not over a
// sequence): each position's window of codes gathered (im2col) and multiplied with the positions
// as the vector lanes (kernels::int8_conv), requantized per filter.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/window.hpp>
#include <ctnn/layers/int8/affine.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace CTNN_NAMESPACE::layers::int8 {

/// A convolution: its windows' codes gathered (im2col) and multiplied with the positions as the
/// vector lanes (kernels::int8_conv). `layer` holds the weights as a dense layer's over the window
/// (it proves the bound); `rows` the same weights as the kernel reads them.
template <window_geometry G, std::size_t F, bool Clamp, bool Last>
struct conv : affine<G.c * G.kh * G.kw, F, Clamp, Last> {
  static constexpr std::size_t window = G.c * G.kh * G.kw, positions = G.oh * G.ow;
  static constexpr std::size_t in_codes = G.c * G.h * G.w, out_codes = F * positions;
  using layout = kernels::int8_conv_layout<window, positions>;
  alignas(64) std::array<std::int8_t, F * layout::window_padded> rows{};

  /// The first output column whose window column j lies inside the input, and one past the last.
  static constexpr std::size_t column_start(std::size_t j) noexcept {
    const std::size_t off = j * G.dw;
    return off >= G.pl ? 0 : (G.pl - off + G.sw - 1) / G.sw;
  }
  static constexpr std::size_t column_end(std::size_t j) noexcept {
    const std::size_t off = j * G.dw; // input column ox sw + off - pl < w  <=>  ox sw < w + pl - off
    if (G.w + G.pl <= off) return 0;
    return std::min(G.ow, (G.w + G.pl - off + G.sw - 1) / G.sw);
  }

  /// The codes of one output row's window column: G.ow codes in whole 16-byte vectors, a count
  /// known at compile time (with a run-time count, Clang calls memcpy for each of these short
  /// copies). Reads and writes up to 15 bytes past the row, and the columns past the input
  /// (padding): the input's buffer has the slack, and what lands past the row is written over
  /// after.
  static constexpr std::size_t row_vectors = (G.ow + 15) / 16;
  static void copy_codes(std::uint8_t* d, const std::uint8_t* src) noexcept {
    CTNN_UNROLL for (std::size_t k = 0; k < 16 * row_vectors; k += 16) {
#if defined(__SSE2__)
      _mm_storeu_si128(reinterpret_cast<__m128i*>(d + k), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k)));
#else
      for (std::size_t q = k; q < k + 16; ++q) d[q] = src[q];
#endif
    }
  }

  void set_rows() noexcept {
    for (std::size_t f = 0; f < F; ++f)
      for (std::size_t k = 0; k < window; ++k) rows[f * layout::window_padded + k] = this->layer.weight(f, k);
  }

  void run(const std::uint8_t* in, std::uint8_t* out, float* y) const noexcept {
    constexpr std::size_t pp = layout::positions_padded;
    // + copy_codes' slack past the last row
    alignas(64) std::uint8_t plain[layout::window_padded * pp + 16 * row_vectors + column_start(0)];
    alignas(64) std::uint8_t packed[layout::size];
    alignas(64) std::int32_t acc[F * pp];
    const auto pad = static_cast<std::uint8_t>(this->in_zero); // the code of 0
    for (std::size_t k = 0; k < layout::window_padded; ++k) {
      std::uint8_t* row = plain + k * pp;
      if (k >= window) {
        std::fill_n(row, pp, std::uint8_t{0});
        continue;
      }
      const std::size_t c = k / (G.kh * G.kw), i = k / G.kw % G.kh, j = k % G.kw;
      for (std::size_t oy = 0; oy < G.oh; ++oy) {
        const std::ptrdiff_t yy = std::ptrdiff_t(oy * G.sh + i * G.dh) - std::ptrdiff_t(G.pt);
        std::uint8_t* o = row + oy * G.ow;
        if (yy < 0 || yy >= std::ptrdiff_t(G.h)) {
          std::fill_n(o, G.ow, pad);
          continue;
        }
        // the columns ox whose input column ox sw + j dw - pl lies inside: [lo, hi)
        const std::size_t lo = std::min(G.ow, column_start(j)), hi = std::max(lo, column_end(j));
        const std::uint8_t* src = in + (c * G.h + std::size_t(yy)) * G.w + lo * G.sw + j * G.dw - G.pl;
        std::fill_n(o, lo, pad);
        if constexpr (G.sw == 1) {
          copy_codes(o + lo, src); // whole vectors: may write past hi, filled next
        } else {
          for (std::size_t ox = lo; ox < hi; ++ox) o[ox] = src[(ox - lo) * G.sw];
        }
        std::fill(o + hi, o + G.ow, pad);
      }
      std::fill(row + positions, row + pp, pad);
    }
    kernels::int8_conv_interleave<window, positions>(plain, packed);
    kernels::int8_conv<window, F, positions>(packed, rows.data(), this->layer.biases.data(), acc);
    for (std::size_t f = 0; f < F; ++f) {
      const std::int32_t* a = acc + f * pp;
      if constexpr (Last) {
        for (std::size_t p = 0; p < positions; ++p) y[f * positions + p] = conv::float_output(a[p], this->scale[f]);
      } else {
        // rows overlap: f + 1 overwrites the tail
        requantize_row<pp>(a, this->scale[f], this->out_zero, Clamp ? this->out_zero : 0, out + f * positions);
      }
    }
  }
  /// The float convolution in double, one sample (calibration): each position's window (zero
  /// outside the input), then the dense sums over it.
  template <class View>
  static void reference(const View& view, const double* in, double* out) {
    double patch[window];
    for (std::size_t p = 0; p < positions; ++p) {
      const std::size_t oy = p / G.ow, ox = p % G.ow;
      std::size_t k = 0;
      for (std::size_t c = 0; c < G.c; ++c)
        for (std::size_t i = 0; i < G.kh; ++i)
          for (std::size_t j = 0; j < G.kw; ++j, ++k) {
            const std::ptrdiff_t yy = std::ptrdiff_t(oy * G.sh + i * G.dh) - std::ptrdiff_t(G.pt);
            const std::ptrdiff_t xx = std::ptrdiff_t(ox * G.sw + j * G.dw) - std::ptrdiff_t(G.pl);
            patch[k] = yy < 0 || yy >= std::ptrdiff_t(G.h) || xx < 0 || xx >= std::ptrdiff_t(G.w)
                           ? 0.0
                           : in[(c * G.h + std::size_t(yy)) * G.w + std::size_t(xx)];
          }
      for (std::size_t o = 0; o < F; ++o) out[o * positions + p] = conv::sum(view, o, patch);
    }
  }
  template <class View, class OutRange>
  affine_range quantize(const View& view, affine_range in, OutRange&& out_range, const std::string& where) {
    const affine_range out = conv::affine::quantize(view, in, out_range, where);
    set_rows();
    return out;
  }
  void import_values(value_reader& r, const std::string& where) {
    conv::affine::import_values(r, where);
    set_rows();
  }
};

} // namespace CTNN_NAMESPACE::layers::int8
