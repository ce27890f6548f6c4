// Direct convolution at stride 1 over "wide" planes, vectorized over output positions: the
// single-sample path of conv_stage and its backward pass (weight and input gradients), with
// no im2col.
//
// The input is first copied, zero-padded, into planes of HP x WS values (row stride
// WS = OW + (KW - 1) DW, the padded input width). Output position q = y WS + x then reads
// in[c][q + i DH WS + j DW] for every tap (i, j): a constant offset per tap, so that L
// consecutive positions are one unaligned load, and each tap's weight is one broadcast. The
// positions with x >= OW ("wide" columns) are computed and discarded. The input gradient is
// the same correlation of the output gradient, zero-padded by the kernel's extent, with the
// weights flipped and transposed; the weight gradient is the dot product of the output
// gradient's wide planes with the shifted input planes, accumulated over a chunk of samples
// before the lanes are summed.
#pragma once

#include <ctnn/core/config.hpp>
#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/simd.hpp>

#include <algorithm>
#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE::kernels {

/// The wide geometry of a stride-1 correlation of Cin planes into Cout planes.
template <std::size_t Cin, std::size_t Cout, std::size_t KH, std::size_t KW, std::size_t DH, std::size_t DW,
          std::size_t OH, std::size_t OW>
struct wide_conv {
  static constexpr std::size_t ws = OW + (KW - 1) * DW; ///< row stride of input and output planes
  static constexpr std::size_t hp = OH + (KH - 1) * DH; ///< input rows (padded input height)
  static constexpr std::size_t plane = hp * ws;
  static constexpr std::size_t positions = OH * ws; ///< wide output positions of one plane
  /// Elements of one input (Cin planes plus zeros for the discarded positions' last loads).
  template <class T, class Arch = default_arch>
  static constexpr std::size_t input_size = round_up(Cin* plane + lanes<T, Arch> + (KW - 1) * DW, lanes<T, Arch>);
  /// One output plane as the weight gradient reads it: positions, whole registers.
  template <class T, class Arch = default_arch>
  static constexpr std::size_t output_plane = round_up(positions, lanes<T, Arch>);
  /// Output rows computed per band: a band's Cout planes stay within 16 KiB (L1).
  template <class T>
  static constexpr std::size_t band_rows = std::clamp<std::size_t>(16384 / sizeof(T) / (Cout * ws), 1, OH);

  /// The kernel's taps in weight order (c, i, j): offset of tap k in the input.
  static constexpr std::size_t offset(std::size_t c, std::size_t i, std::size_t j) noexcept {
    return c * plane + i * DH * ws + j * DW;
  }

  /// Copies x [Cin][H][W] into the wide planes `in` with its top-left at (pt, pl), zeros elsewhere.
  template <class T, class Arch = default_arch>
  static void pad(const T* x, std::size_t h, std::size_t w, std::size_t pt, std::size_t pl, T* in) noexcept {
    std::fill(in, in + input_size<T, Arch>, T(0));
    for (std::size_t c = 0; c < Cin; ++c)
      for (std::size_t r = 0; r < h; ++r) std::copy_n(x + (c * h + r) * w, w, in + c * plane + (r + pt) * ws + pl);
  }

  /// out(o, y, x) = act(bias[o] + sum_{c,i,j} weight(o, c, i, j) in[c][y + i DH][x + j DW]) for
  /// y < OH, x < OW; sink(o, y, z_row, y_row) receives each output row (OW values; z_row is
  /// the pre-activation, null unless KeepZ). bias may be null (zero).
  template <class Act, bool KeepZ, class T, class Weight, class Sink, class Arch = default_arch>
  static void forward(const T* in, Weight weight, const T* bias, Sink sink) noexcept {
    constexpr std::size_t L = lanes<T, Arch>, R = band_rows<T>, band = round_up(R * ws, L);
    constexpr bool act = !std::is_same_v<Act, identity_fn>;
    alignas(Arch::alignment()) T zt[Cout * band];
    alignas(Arch::alignment()) T yt[act ? Cout * band : 1];
    T* const ys = act ? yt : zt;
    for (std::size_t y0 = 0; y0 < OH; y0 += R) {
      const std::size_t rows = std::min(R, OH - y0), vectors = (rows * ws + L - 1) / L;
      const T* base = in + y0 * ws;
      for_blocks<Act, Arch>(base, weight, bias, vectors, band, zt, ys);
      for (std::size_t o = 0; o < Cout; ++o)
        for (std::size_t r = 0; r < rows; ++r)
          sink(o, y0 + r, KeepZ ? zt + o * band + r * ws : nullptr, ys + o * band + r * ws);
    }
  }

  /// g(o, c, i, j) += sum_s sum_q dz_s[o][q] in_s[c][q + offset] over n samples (in_s at
  /// in + s * ldi, dz_s at dz + s * ldz: Cout wide planes of output_plane values, zero at
  /// the discarded positions), and db[o] += sum_s sum_q dz_s[o][q] unless db is null.
  template <class T, class Grad, class Arch = default_arch>
  static void weight_gradient(const T* in, std::size_t ldi, const T* dz, std::size_t ldz, std::size_t n, Grad g,
                              T* db) noexcept {
    using V = simd<T, Arch>;
    constexpr std::size_t L = V::size, nv = output_plane<T, Arch> / L, taps = KH * KW;
    constexpr std::size_t NO = Cout >= 4 ? 4 : Cout, NT = vector_registers<Arch> >= 32 ? 4 : 2;
    const auto block = [&]<std::size_t no, std::size_t nt>(std::size_t o0, std::size_t k0) {
      V acc[no][nt];
      for (auto& a : acc)
        for (auto& v : a) v = V(T(0));
      for (std::size_t s = 0; s < n; ++s) {
        const T* d = dz + s * ldz + o0 * output_plane<T, Arch>;
        const T* x = in + s * ldi;
        for (std::size_t v = 0; v < nv; ++v) {
          V xv[nt];
          for (std::size_t t = 0; t < nt; ++t) {
            const std::size_t k = k0 + t;
            xv[t] = V::load_unaligned(x + offset(k / taps, k % taps / KW, k % KW) + v * L);
          }
          for (std::size_t o = 0; o < no; ++o) {
            const V dv = V::load_aligned(d + o * output_plane<T, Arch> + v * L);
            for (std::size_t t = 0; t < nt; ++t) acc[o][t] = kernels::fma(dv, xv[t], acc[o][t]);
          }
        }
      }
      for (std::size_t o = 0; o < no; ++o)
        for (std::size_t t = 0; t < nt; ++t) {
          const std::size_t k = k0 + t;
          g(o0 + o, k / taps, k % taps / KW, k % KW) += xsimd::hadd(acc[o][t]);
        }
    };
    constexpr std::size_t window = Cin * taps, ko = Cout / NO * NO, kk = window / NT * NT;
    const auto rows = [&]<std::size_t no>(std::size_t o0) {
      for (std::size_t k0 = 0; k0 < kk; k0 += NT) block.template operator()<no, NT>(o0, k0);
      if constexpr (kk < window) block.template operator()<no, window - kk>(o0, kk);
    };
    for (std::size_t o0 = 0; o0 < ko; o0 += NO) rows.template operator()<NO>(o0);
    if constexpr (ko < Cout) rows.template operator()<Cout - ko>(ko);
    if (db)
      for (std::size_t o = 0; o < Cout; ++o) {
        V acc(T(0));
        for (std::size_t s = 0; s < n; ++s)
          for (std::size_t v = 0; v < nv; ++v) acc += V::load_aligned(dz + s * ldz + o * output_plane<T, Arch> + v * L);
        db[o] += xsimd::hadd(acc);
      }
  }

private:
  /// Every block of (outputs x position vectors) of one band: accumulators in registers, one
  /// unaligned load per tap and vector, one broadcast per tap and output.
  template <class Act, class Arch, class T, class Weight>
  static void for_blocks(const T* base, const Weight& weight, const T* bias, std::size_t vectors, std::size_t band,
                         T* zt, T* yt) noexcept {
    using V = simd<T, Arch>;
    constexpr std::size_t L = V::size;
    // NO outputs x NV vectors of accumulators: 24 with 32 registers, 8 with 16
    constexpr std::size_t NO = Cout >= 8 ? 8 : Cout;
    constexpr std::size_t budget = vector_registers<Arch> >= 32 ? 24 : 8;
    const auto block = [&]<std::size_t no, std::size_t nv>(std::size_t o0, std::size_t v0) {
      V acc[no][nv];
      CTNN_UNROLL for (std::size_t o = 0; o < no; ++o) {
        const V b(bias ? bias[o0 + o] : T(0));
        CTNN_UNROLL for (std::size_t v = 0; v < nv; ++v) acc[o][v] = b;
      }
      for (std::size_t c = 0; c < Cin; ++c)
        for (std::size_t i = 0; i < KH; ++i)
          for (std::size_t j = 0; j < KW; ++j) {
            const T* src = base + offset(c, i, j) + v0 * L;
            V xv[nv];
            CTNN_UNROLL for (std::size_t v = 0; v < nv; ++v) xv[v] = V::load_unaligned(src + v * L);
            CTNN_UNROLL for (std::size_t o = 0; o < no; ++o) {
              const V w(weight(o0 + o, c, i, j));
              CTNN_UNROLL for (std::size_t v = 0; v < nv; ++v) acc[o][v] = kernels::fma(w, xv[v], acc[o][v]);
            }
          }
      CTNN_UNROLL for (std::size_t o = 0; o < no; ++o) CTNN_UNROLL for (std::size_t v = 0; v < nv; ++v) {
        T* at = zt + (o0 + o) * band + (v0 + v) * L;
        acc[o][v].store_aligned(at);
        if constexpr (!std::is_same_v<Act, identity_fn>)
          Act::simd(acc[o][v]).store_aligned(yt + (o0 + o) * band + (v0 + v) * L);
      }
    };
    const auto columns = [&]<std::size_t no>(std::size_t o0) {
      constexpr std::size_t NV = std::max<std::size_t>(1, budget / no);
      const std::size_t full = vectors / NV;
      for (std::size_t b = 0; b < full; ++b) block.template operator()<no, NV>(o0, b * NV);
      for (std::size_t v0 = full * NV; v0 < vectors; ++v0) block.template operator()<no, 1>(o0, v0);
    };
    constexpr std::size_t ko = Cout / NO * NO;
    for (std::size_t o0 = 0; o0 < ko; o0 += NO) columns.template operator()<NO>(o0);
    if constexpr (ko < Cout) columns.template operator()<Cout - ko>(ko);
  }
};

} // namespace CTNN_NAMESPACE::kernels
