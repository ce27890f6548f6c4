// The batch_norm stage (dsl/layers/batch_norm.hpp): Channels channels of Spatial values each
// (channel-major), normalized by the batch's statistics in training and by the running ones at
// inference. fold_batch_norm, which folds it into the layer before it for deployment, is in
// runtime/fold.hpp (the type rewrite in dsl/rewrite.hpp).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

namespace CTNN_NAMESPACE {

/// What net.layer<I>() returns for a batch_norm: its parameters and running statistics.
template <class T>
struct batch_norm_view {
  T* params;
  std::size_t channels, slot;

  T& gamma(std::size_t c) const noexcept { return params[c]; }
  T& beta(std::size_t c) const noexcept { return params[slot + c]; }
  T& running_mean(std::size_t c) const noexcept { return params[2 * slot + c]; }
  T& running_var(std::size_t c) const noexcept { return params[3 * slot + c]; }
};

namespace layers {

/// Spec: the descriptor (dsl/layers/batch_norm.hpp), which gives eps and momentum.
template <class T, std::size_t Channels, std::size_t Spatial, class Spec>
struct batch_norm_stage {
  static constexpr std::size_t C = Channels, S = Spatial, N = C * S;
  static constexpr std::size_t in_size = N, out_size = N;
  static constexpr std::size_t out_stride = kernels::padded<T>(N);
  static constexpr std::size_t slot = kernels::padded<T>(C);
  /// gamma, beta (trained), then running mean and running variance (buffers)
  static constexpr std::size_t param_size = 4 * slot, trainable_size = 2 * slot;
  static constexpr std::size_t param_count = 2 * C, buffer_count = 2 * C;
  static constexpr bool batch_statistics = true;
  /// For backward: each row's normalized values; row 0 also keeps the batch's mean, biased
  /// variance and 1 / sqrt(variance + eps) of each channel (for update_buffers and backward).
  static constexpr std::size_t stats = kernels::padded<T>(N);
  static constexpr std::size_t kept_stride = stats + 3 * slot;
  static constexpr double eps = Spec::eps, momentum = Spec::momentum;

  static batch_norm_view<T> view(T* p) noexcept { return {p, C, slot}; }

  /// Inference: the running statistics.
  static void forward(const T* p, const T* x, T* y) noexcept {
    for (std::size_t c = 0; c < C; ++c) {
      const T scale = p[c] / std::sqrt(p[3 * slot + c] + T(eps)), mean = p[2 * slot + c], beta = p[slot + c];
      for (std::size_t j = 0; j < S; ++j) y[c * S + j] = (x[c * S + j] - mean) * scale + beta;
    }
    std::fill(y + N, y + out_stride, T(0));
  }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    if (!kept) {
      for (std::size_t r = 0; r < n; ++r) forward(p, x + r * ldx, y + r * out_stride);
      return;
    }
    const double m = double(n * S);
    for (std::size_t c = 0; c < C; ++c) {
      double sum = 0;
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < S; ++j) sum += double(x[r * ldx + c * S + j]);
      const double mean = sum / m;
      double squares = 0;
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < S; ++j) {
          const double d = double(x[r * ldx + c * S + j]) - mean;
          squares += d * d;
        }
      const double var = squares / m;
      const T inv = T(1 / std::sqrt(var + eps));
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < S; ++j) {
          const T h = T(double(x[r * ldx + c * S + j]) - mean) * inv;
          kept[r * kept_stride + c * S + j] = h;
          y[r * out_stride + c * S + j] = h * p[c] + p[slot + c];
        }
      kept[stats + c] = T(mean);
      kept[stats + slot + c] = T(var);
      kept[stats + 2 * slot + c] = inv;
    }
    for (std::size_t r = 0; r < n; ++r) std::fill(y + r * out_stride + N, y + (r + 1) * out_stride, T(0));
  }
  /// dgamma = sum dy xhat, dbeta = sum dy over the batch and the channel's positions;
  /// dx = gamma inv / m (m dy - sum dy - xhat sum dy xhat), m the values per channel.
  static void backward(const T* p, T* grad, const T*, std::size_t ldx, const T* kept, const T*, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(grad, grad + param_size, T(0));
    const T m = T(n * S);
    for (std::size_t c = 0; c < C; ++c) {
      T sum_dy = 0, sum_dy_xh = 0;
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < S; ++j) {
          const T d = dy[r * out_stride + c * S + j];
          sum_dy += d;
          sum_dy_xh += d * kept[r * kept_stride + c * S + j];
        }
      grad[c] += sum_dy_xh;
      grad[slot + c] += sum_dy;
      if (!dx) continue;
      const T k = p[c] * kept[stats + 2 * slot + c] / m;
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t j = 0; j < S; ++j)
          dx[r * ldx + c * S + j] =
              k * (m * dy[r * out_stride + c * S + j] - sum_dy - kept[r * kept_stride + c * S + j] * sum_dy_xh);
    }
    if (dx)
      for (std::size_t r = 0; r < n; ++r) std::fill(dx + r * ldx + N, dx + (r + 1) * ldx, T(0));
  }
  /// PyTorch's update: running = (1 - momentum) running + momentum batch, with the batch's
  /// unbiased variance.
  static void update_buffers(T* p, const T* kept, std::size_t n) noexcept {
    const double m = double(n * S), unbias = m > 1 ? m / (m - 1) : 1.0;
    for (std::size_t c = 0; c < C; ++c) {
      p[2 * slot + c] = T((1 - momentum) * double(p[2 * slot + c]) + momentum * double(kept[stats + c]));
      p[3 * slot + c] =
          T((1 - momentum) * double(p[3 * slot + c]) + momentum * double(kept[stats + slot + c]) * unbias);
    }
  }

  /// state_dict order: weight (gamma), bias (beta), running_mean, running_var.
  static void import_params(const T* logical, T* p) noexcept {
    for (std::size_t k = 0; k < 4; ++k) std::copy_n(logical + k * C, C, p + k * slot);
  }
  static void export_params(const T* p, T* logical) noexcept {
    for (std::size_t k = 0; k < 4; ++k) std::copy_n(p + k * slot, C, logical + k * C);
  }
  /// PyTorch's start: gamma 1, beta 0, running mean 0, running variance 1 (whatever the initializer).
  template <class Init>
  static void initialize(T* p, const Init&, rng&) noexcept {
    std::fill_n(p, C, T(1));
    std::fill_n(p + slot, C, T(0));
    std::fill_n(p + 2 * slot, C, T(0));
    std::fill_n(p + 3 * slot, C, T(1));
  }
};

} // namespace layers

} // namespace CTNN_NAMESPACE
