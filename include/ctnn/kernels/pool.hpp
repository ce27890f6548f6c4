// Pooling kernels over channel-major data, branch-free in the data: a window's maximum is found
// by selects, not by branches on the values, whose outcome no predictor can learn (ReLU outputs
// and ties everywhere). Forward first reduces each output row's input rows column by column
// (contiguous, vectorizable), then each window along the row.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/conv.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>

namespace CTNN_NAMESPACE::kernels {

namespace detail {
/// The maximum of a and b, NaN if either is (a's NaN first), a on ties.
template <class T>
constexpr T nan_max(T a, T b) noexcept {
  return a != a || a >= b ? a : b;
}
/// An integer that orders floats as < does, with every NaN above +inf (and -0 equal to +0), so
/// that finding a window's first maximum compiles to integer compares and conditional moves:
/// float compares branch on the unordered (NaN) case, and the branch is unpredictable.
template <class T>
constexpr auto order_key(T v) noexcept {
  using U = std::conditional_t<sizeof(T) == 4, std::uint32_t, std::uint64_t>;
  using I = std::make_signed_t<U>;
  constexpr U sign = U(1) << (8 * sizeof(T) - 1);
  const U bits = std::bit_cast<U>(v), magnitude = bits & ~sign;
  const I ordered = (bits & sign) ? -I(magnitude) : I(magnitude);
  return magnitude > std::bit_cast<U>(std::numeric_limits<T>::infinity()) ? std::numeric_limits<I>::max() : ordered;
}
/// The taps [lo, hi) of a window along one axis that fall inside the input: tap t reads
/// o * stride - pad + t * dilation.
constexpr std::size_t first_tap(std::size_t o, std::size_t stride, std::size_t pad, std::size_t dil) noexcept {
  const std::size_t at = o * stride;
  return at >= pad ? 0 : (pad - at + dil - 1) / dil;
}
constexpr std::size_t end_tap(std::size_t o, std::size_t stride, std::size_t pad, std::size_t dil, std::size_t k,
                              std::size_t n) noexcept {
  std::size_t t = k;
  while (t > 0 && o * stride + (t - 1) * dil >= pad + n) --t;
  return t;
}
} // namespace detail

/// y[c][oy][ox] = max (Max) or mean (else; padding counts, as PyTorch's count_include_pad) of
/// the window; max pooling propagates NaN. S: the geometry (kh, kw the window). x holds exactly
/// C H W values: loads past its end go through a zero-filled copy.
template <conv_shape S, bool Max, class T, class Arch = default_arch>
void pool_forward(const T* x, T* y) noexcept {
  using V = simd<T, Arch>;
  constexpr std::size_t L = V::size, W = S.w, wide = round_up(W, L);
  constexpr std::size_t span = (S.ow - 1) * S.sw + 1; // the first tap's columns in the padded row
  constexpr std::size_t row_size = round_up(std::max(S.pl + W, span + (S.kw - 1) * S.dw) + L, L);
  constexpr std::size_t size = S.c * S.h * W;
  constexpr T fill = Max ? -std::numeric_limits<T>::infinity() : T(0); // what padding contributes
  const auto reduce = [](const V& a, const V& b) {
    if constexpr (Max)
      return xsimd::select((a != a) | (a >= b), a, b); // NaN propagates, a on ties
    else
      return a + b;
  };
  const auto load = [x](std::size_t at) { // x[at ..  at + L) may pass the end of x
    if (at + V::size <= size) return V::load_unaligned(x + at);
    alignas(Arch::alignment()) T tail[V::size] = {};
    for (std::size_t k = 0; k < V::size && at + k < size; ++k) tail[k] = x[at + k];
    return V::load_aligned(tail);
  };
  // One channel at a time: first down the window rows of every output row (column by column,
  // into `rows`, padding columns filled), then along each row. Two passes rather than one so
  // that the shifted loads of the second do not read stores still in flight (a failed
  // store-to-load forward costs more than the whole reduction).
  alignas(Arch::alignment()) T rows[S.oh * row_size];
  alignas(Arch::alignment()) T across[round_up(span, L)];
  for (std::size_t c = 0; c < S.c; ++c) {
    for (std::size_t oy = 0; oy < S.oh; ++oy) {
      T* row = rows + oy * row_size;
      const std::size_t i0 = detail::first_tap(oy, S.sh, S.pt, S.dh),
                        i1 = detail::end_tap(oy, S.sh, S.pt, S.dh, S.kh, S.h);
      std::fill_n(row, S.pl, fill);
      if (i0 >= i1) { // the window lies in the padding (only with padding > window / 2)
        std::fill(row, row + row_size, fill);
        continue;
      }
      for (std::size_t k = 0; k < wide; k += L) { // (the columns past W are refilled below)
        V m = load((c * S.h + oy * S.sh + i0 * S.dh - S.pt) * W + k);
        for (std::size_t i = i0 + 1; i < i1; ++i) m = reduce(m, load((c * S.h + oy * S.sh + i * S.dh - S.pt) * W + k));
        m.store_unaligned(row + S.pl + k);
      }
      std::fill(row + S.pl + W, row + row_size, fill);
    }
    for (std::size_t oy = 0; oy < S.oh; ++oy) {
      const T* row = rows + oy * row_size;
      for (std::size_t u = 0; u < span; u += L) { // across[u]: the window starting at padded column u
        V m = V::load_unaligned(row + u);
        for (std::size_t j = 1; j < S.kw; ++j) m = reduce(m, V::load_unaligned(row + u + j * S.dw));
        if constexpr (!Max) m *= V(T(1) / T(S.kh * S.kw));
        m.store_aligned(across + u);
      }
      T* out = y + (c * S.oh + oy) * S.ow;
      for (std::size_t ox = 0; ox < S.ow; ++ox) out[ox] = across[ox * S.sw];
    }
  }
}

/// dx += the gradient of pool_forward for dy: each window's dy goes to its first maximum (the
/// first NaN if any; PyTorch's rule) or, averaging, in equal shares to every tap.
template <conv_shape S, bool Max, class T>
void pool_backward(const T* x, const T* dy, T* dx) noexcept {
  for (std::size_t c = 0; c < S.c; ++c)
    for (std::size_t oy = 0; oy < S.oh; ++oy) {
      const std::size_t i0 = detail::first_tap(oy, S.sh, S.pt, S.dh),
                        i1 = detail::end_tap(oy, S.sh, S.pt, S.dh, S.kh, S.h);
      for (std::size_t ox = 0; ox < S.ow; ++ox) {
        const std::size_t j0 = detail::first_tap(ox, S.sw, S.pl, S.dw),
                          j1 = detail::end_tap(ox, S.sw, S.pl, S.dw, S.kw, S.w);
        if (i0 >= i1 || j0 >= j1) continue;
        const T g = dy[(c * S.oh + oy) * S.ow + ox];
        const std::size_t base = c * S.h * S.w;
        if constexpr (Max) {
          std::size_t best = base + (oy * S.sh + i0 * S.dh - S.pt) * S.w + ox * S.sw + j0 * S.dw - S.pl;
          auto key = detail::order_key(x[best]);
          for (std::size_t i = i0; i < i1; ++i)
            for (std::size_t j = i == i0 ? j0 + 1 : j0; j < j1; ++j) {
              const std::size_t at = base + (oy * S.sh + i * S.dh - S.pt) * S.w + ox * S.sw + j * S.dw - S.pl;
              const auto k = detail::order_key(x[at]);
              best = k > key ? at : best; // strictly greater: ties and later NaNs keep the first
              key = k > key ? k : key;
            }
          dx[best] += g;
        } else {
          const T share = g / T(S.kh * S.kw);
          for (std::size_t i = i0; i < i1; ++i)
            for (std::size_t j = j0; j < j1; ++j)
              dx[base + (oy * S.sh + i * S.dh - S.pt) * S.w + ox * S.sw + j * S.dw - S.pl] += share;
        }
      }
    }
}

} // namespace CTNN_NAMESPACE::kernels
