// Convolution kernels over channel-major data ([C, H, W] per sample, as PyTorch's): im2col and
// col2im over tiles of output positions (the convolution itself is then the dense layer's
// register-blocked micro-kernel, kernels/dense.hpp, applied to each position's window), and a
// direct scalar reference for tests.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/window.hpp>
#include <ctnn/kernels/simd.hpp>

#include <cstddef>

namespace CTNN_NAMESPACE::kernels {

/// The geometry kernels need, as plain numbers (mirrors ctnn::window_geometry of the front end).
struct conv_shape {
  std::size_t c, h, w, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow;
  constexpr std::size_t window() const noexcept { return c * kh * kw; }
  constexpr std::size_t positions() const noexcept { return oh * ow; }
};

/// The kernels' view of a window's geometry (they read the top and left padding only: the output
/// extent fixes the rest).
constexpr conv_shape conv_shape_of(const window_geometry& g) noexcept {
  return {g.c, g.h, g.w, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.oh, g.ow};
}

/// col[r][(c, i, j)] = x[c][oh * sh - pt + i dh][ow * sw - pl + j dw] (0 outside the input) for
/// the output positions p0 .. p0 + rows - 1 (row-major over (oh, ow)); col rows have window()
/// elements, in PyTorch's weight order (c, then kernel row, then kernel column).
template <class T>
void im2col(const conv_shape& s, const T* x, std::size_t p0, std::size_t rows, T* col) noexcept {
  const std::size_t K = s.window();
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t p = p0 + r, oy = p / s.ow, ox = p % s.ow;
    T* out = col + r * K;
    for (std::size_t c = 0; c < s.c; ++c)
      for (std::size_t i = 0; i < s.kh; ++i) {
        const std::ptrdiff_t y = std::ptrdiff_t(oy * s.sh + i * s.dh) - std::ptrdiff_t(s.pt);
        const bool row_in = y >= 0 && y < std::ptrdiff_t(s.h);
        const T* xrow = x + (c * s.h + (row_in ? std::size_t(y) : 0)) * s.w;
        for (std::size_t j = 0; j < s.kw; ++j) {
          const std::ptrdiff_t xx = std::ptrdiff_t(ox * s.sw + j * s.dw) - std::ptrdiff_t(s.pl);
          *out++ = row_in && xx >= 0 && xx < std::ptrdiff_t(s.w) ? xrow[xx] : T(0);
        }
      }
  }
}

/// The adjoint of im2col: dx[c][y][x] += dcol[r][(c, i, j)] for every tap inside the input.
template <class T>
void col2im_add(const conv_shape& s, const T* dcol, std::size_t p0, std::size_t rows, T* dx) noexcept {
  const std::size_t K = s.window();
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t p = p0 + r, oy = p / s.ow, ox = p % s.ow;
    const T* in = dcol + r * K;
    for (std::size_t c = 0; c < s.c; ++c)
      for (std::size_t i = 0; i < s.kh; ++i) {
        const std::ptrdiff_t y = std::ptrdiff_t(oy * s.sh + i * s.dh) - std::ptrdiff_t(s.pt);
        if (y < 0 || y >= std::ptrdiff_t(s.h)) {
          in += s.kw;
          continue;
        }
        T* xrow = dx + (c * s.h + std::size_t(y)) * s.w;
        for (std::size_t j = 0; j < s.kw; ++j, ++in) {
          const std::ptrdiff_t xx = std::ptrdiff_t(ox * s.sw + j * s.dw) - std::ptrdiff_t(s.pl);
          if (xx >= 0 && xx < std::ptrdiff_t(s.w)) xrow[xx] += *in;
        }
      }
  }
}

namespace reference {
/// Direct convolution, one sample: y[f][p] = b[f] + sum w[f][c][i][j] x[c][..][..] (PyTorch's
/// weight [F, C, KH, KW] and bias [F]); no activation.
template <class T>
void conv_forward(const conv_shape& s, std::size_t filters, const T* w, const T* b, const T* x, T* y) noexcept {
  for (std::size_t f = 0; f < filters; ++f)
    for (std::size_t oy = 0; oy < s.oh; ++oy)
      for (std::size_t ox = 0; ox < s.ow; ++ox) {
        T acc = b[f];
        for (std::size_t c = 0; c < s.c; ++c)
          for (std::size_t i = 0; i < s.kh; ++i)
            for (std::size_t j = 0; j < s.kw; ++j) {
              const std::ptrdiff_t yy = std::ptrdiff_t(oy * s.sh + i * s.dh) - std::ptrdiff_t(s.pt);
              const std::ptrdiff_t xx = std::ptrdiff_t(ox * s.sw + j * s.dw) - std::ptrdiff_t(s.pl);
              if (yy < 0 || yy >= std::ptrdiff_t(s.h) || xx < 0 || xx >= std::ptrdiff_t(s.w)) continue;
              acc += w[((f * s.c + c) * s.kh + i) * s.kw + j] * x[(c * s.h + std::size_t(yy)) * s.w + std::size_t(xx)];
            }
        y[(f * s.oh + oy) * s.ow + ox] = acc;
      }
}
} // namespace reference

} // namespace CTNN_NAMESPACE::kernels
