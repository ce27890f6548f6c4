// The upsample2d stage (dsl/layers/upsample.hpp): nearest-neighbour upsampling by FH x FW.
// Backward sums each FH x FW block of the output gradient into its input value.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

template <class T, std::size_t C, std::size_t H, std::size_t W, std::size_t FH, std::size_t FW>
struct upsample2d_stage : detail::no_parameters<T>, detail::batch_by_samples<upsample2d_stage<T, C, H, W, FH, FW>, T> {
  static constexpr std::size_t OH = H * FH, OW = W * FW;
  static constexpr std::size_t in_size = C * H * W, out_size = C * OH * OW;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);

  static void forward(const T*, const T* x, T* y) noexcept {
    for (std::size_t c = 0; c < C; ++c)
      for (std::size_t i = 0; i < H; ++i) {
        T* row = y + (c * OH + i * FH) * OW;
        const T* in = x + (c * H + i) * W;
        for (std::size_t j = 0; j < W; ++j) std::fill_n(row + j * FW, FW, in[j]);
        for (std::size_t r = 1; r < FH; ++r) std::copy_n(row, OW, row + r * OW);
      }
    std::fill(y + out_size, y + out_stride, T(0));
  }
  static void backward(const T*, T*, const T*, std::size_t ldx, const T*, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode = kernels::store_mode::add) noexcept {
    if (!dx) return;
    for (std::size_t s = 0; s < n; ++s) {
      const T* d = dy + s * out_stride;
      T* g = dx + s * ldx;
      for (std::size_t c = 0; c < C; ++c)
        for (std::size_t i = 0; i < H; ++i)
          for (std::size_t j = 0; j < W; ++j) {
            T sum = 0;
            for (std::size_t r = 0; r < FH; ++r)
              for (std::size_t q = 0; q < FW; ++q) sum += d[(c * OH + i * FH + r) * OW + j * FW + q];
            g[(c * H + i) * W + j] = sum;
          }
      std::fill(g + in_size, g + ldx, T(0));
    }
  }
};

} // namespace CTNN_NAMESPACE::layers
