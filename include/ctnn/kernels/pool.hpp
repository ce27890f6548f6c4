// Pooling kernels over channel-major data, branch-free in the data: a window's maximum is found
// by selects, not by branches on the values, whose outcome no predictor can learn (ReLU outputs
// and ties everywhere). Forward first reduces each output row's input rows column by column
// (contiguous, vectorizable), then each window along the row.
#pragma once

#include <ctnn/kernels/conv.hpp>

#include <algorithm>
#include <cstddef>
#include <limits>

namespace ctnn::kernels {

namespace detail {
/// The maximum of a and b, NaN if either is (a's NaN first), a on ties.
template <class T>
constexpr T nan_max(T a, T b) noexcept {
  return a != a || a >= b ? a : b;
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
/// the window; max pooling propagates NaN. S: the geometry (kh, kw the window).
template <conv_shape S, bool Max, class T>
void pool_forward(const T* x, T* y) noexcept {
  T row[S.w];
  for (std::size_t c = 0; c < S.c; ++c)
    for (std::size_t oy = 0; oy < S.oh; ++oy) {
      const std::size_t i0 = detail::first_tap(oy, S.sh, S.pt, S.dh), i1 = detail::end_tap(oy, S.sh, S.pt, S.dh, S.kh, S.h);
      T* out = y + (c * S.oh + oy) * S.ow;
      if (i0 >= i1) { // the window lies in the padding (only with padding > window / 2)
        std::fill_n(out, S.ow, Max ? -std::numeric_limits<T>::infinity() : T(0));
        continue;
      }
      std::copy_n(x + (c * S.h + oy * S.sh + i0 * S.dh - S.pt) * S.w, S.w, row);
      for (std::size_t i = i0 + 1; i < i1; ++i) {
        const T* r = x + (c * S.h + oy * S.sh + i * S.dh - S.pt) * S.w;
        for (std::size_t k = 0; k < S.w; ++k) row[k] = Max ? detail::nan_max(row[k], r[k]) : row[k] + r[k];
      }
      for (std::size_t ox = 0; ox < S.ow; ++ox) {
        const std::size_t j0 = detail::first_tap(ox, S.sw, S.pl, S.dw), j1 = detail::end_tap(ox, S.sw, S.pl, S.dw, S.kw, S.w);
        if (j0 >= j1) {
          out[ox] = Max ? -std::numeric_limits<T>::infinity() : T(0);
          continue;
        }
        const std::size_t at = ox * S.sw - S.pl; // + j dw: j >= j0 keeps it inside the row
        T m = row[at + j0 * S.dw];
        for (std::size_t j = j0 + 1; j < j1; ++j) m = Max ? detail::nan_max(m, row[at + j * S.dw]) : m + row[at + j * S.dw];
        out[ox] = Max ? m : m / T(S.kh * S.kw);
      }
    }
}

/// dx += the gradient of pool_forward for dy: each window's dy goes to its first maximum (the
/// first NaN if any; PyTorch's rule) or, averaging, in equal shares to every tap.
template <conv_shape S, bool Max, class T>
void pool_backward(const T* x, const T* dy, T* dx) noexcept {
  for (std::size_t c = 0; c < S.c; ++c)
    for (std::size_t oy = 0; oy < S.oh; ++oy) {
      const std::size_t i0 = detail::first_tap(oy, S.sh, S.pt, S.dh), i1 = detail::end_tap(oy, S.sh, S.pt, S.dh, S.kh, S.h);
      for (std::size_t ox = 0; ox < S.ow; ++ox) {
        const std::size_t j0 = detail::first_tap(ox, S.sw, S.pl, S.dw), j1 = detail::end_tap(ox, S.sw, S.pl, S.dw, S.kw, S.w);
        if (i0 >= i1 || j0 >= j1) continue;
        const T g = dy[(c * S.oh + oy) * S.ow + ox];
        const std::size_t base = c * S.h * S.w;
        if constexpr (Max) {
          std::size_t best = base + (oy * S.sh + i0 * S.dh - S.pt) * S.w + ox * S.sw + j0 * S.dw - S.pl;
          T bv = x[best];
          for (std::size_t i = i0; i < i1; ++i)
            for (std::size_t j = i == i0 ? j0 + 1 : j0; j < j1; ++j) {
              const std::size_t at = base + (oy * S.sh + i * S.dh - S.pt) * S.w + ox * S.sw + j * S.dw - S.pl;
              const T v = x[at];
              const bool take = bv == bv && (v > bv || v != v);
              best = take ? at : best;
              bv = take ? v : bv;
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

} // namespace ctnn::kernels
