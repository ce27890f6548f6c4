// The batch_norm stage (dsl/layers/batch_norm.hpp): Channels channels of Spatial values each
// (channel-major), normalized by the batch's statistics in training and by the running ones at
// inference. And fold_batch_norm(net): the network without its batch_norm layers, each folded
// into the dense or conv layer before it, for deployment.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/layers/batch_norm.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>
#include <ctnn/runtime/network.hpp>

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

template <class T, std::size_t Channels, std::size_t Spatial>
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
  static constexpr double eps = batch_norm::eps, momentum = batch_norm::momentum;

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

namespace detail {
/// Whether L is a composite block (protocol.hpp: inner_network and with_layers).
template <class L>
concept composite_layer = requires {
  typename L::template inner_network<shape<1>>;
};

template <class Block, class InnerNetwork>
struct rebuilt_block;
template <class Block, class In, class... Ls>
struct rebuilt_block<Block, network<In, Ls...>> {
  using type = typename Block::template with_layers<Ls...>;
};

template <class Model>
struct folded_model;
/// Layers I.. of Model without batch_norm, blocks folded inside, after the Kept ones.
template <class Model, std::size_t I, class Kept, bool Done = (I >= Model::layer_count)>
struct fold_walk {
  using type = Kept;
};
template <class Model, std::size_t I, class... Kept>
struct fold_walk<Model, I, network<Kept...>, false> {
  using L = typename Model::template layer<I>;
  static constexpr auto next() noexcept {
    if constexpr (std::is_same_v<L, batch_norm>)
      return std::type_identity<network<Kept...>>{};
    else if constexpr (I > 0 && composite_layer<L>) {
      using inner = typename L::template inner_network<CTNN_SHAPE_OF(Model::layer_input(I))>;
      return std::type_identity<
          network<Kept..., typename rebuilt_block<L, typename folded_model<inner>::type>::type>>{};
    } else
      return std::type_identity<network<Kept..., L>>{};
  }
  using type = typename fold_walk<Model, I + 1, typename decltype(next())::type>::type;
};
template <class Model>
struct folded_model : fold_walk<Model, 0, network<>> {};

/// The diagnostic of the first batch_norm that cannot be folded (its previous layer does not
/// absorb a channel scale), looking inside blocks; At<I> names layer I where Model stands.
struct at_top {
  template <std::size_t I>
  using at = diag::layer_index<I>;
};
template <class Block>
struct at_inner { // layer I of a block's inner network is its inner index I - 1
  template <std::size_t I>
  using at = diag::in_block<Block, diag::inner_index<I - 1>>;
};
template <class Model, class Where>
constexpr auto fold_diagnosis() noexcept;
template <class Model, class Where, std::size_t I>
constexpr auto fold_diagnosis_from() noexcept {
  if constexpr (I >= Model::layer_count) {
    return std::type_identity<diag::no_error>{};
  } else {
    using L = typename Model::template layer<I>;
    if constexpr (I == 0) {
      return fold_diagnosis_from<Model, Where, 1>();
    } else if constexpr (std::is_same_v<L, batch_norm>) {
      using previous = typename Model::template layer<I - 1>;
      if constexpr (!absorbs_channel_scale<previous>())
        return std::type_identity<
            diag::batch_norm_cannot_fold<typename Where::template at<I>, batch_norm, diag::previous_layer<previous>,
                                         diag::fix_put_batch_norm_right_after_dense_or_conv>>{};
      else
        return fold_diagnosis_from<Model, Where, I + 1>();
    } else if constexpr (composite_layer<L>) {
      using inner = typename L::template inner_network<CTNN_SHAPE_OF(Model::layer_input(I))>;
      using found = typename decltype(fold_diagnosis<inner, at_inner<typename Where::template at<I>>>())::type;
      if constexpr (!found::ok)
        return std::type_identity<found>{};
      else
        return fold_diagnosis_from<Model, Where, I + 1>();
    } else {
      return fold_diagnosis_from<Model, Where, I + 1>();
    }
  }
}
template <class Model, class Where>
constexpr auto fold_diagnosis() noexcept {
  return fold_diagnosis_from<Model, Where, 0>();
}

/// Appends Model's values (from `values`, export order) to out with every batch_norm folded into
/// the layer before it, inside blocks too; returns the number of values read.
template <class Model, class T>
std::size_t fold_values(const T* values, std::vector<T>& out) {
  std::size_t at = 0, previous = 0; // where the values of the last layer kept start in out
  for_each_index<Model::layer_count>([&](auto i) {
    if constexpr (i > 0) {
      using L = typename Model::template layer<i>;
      const std::size_t count = Model::layer_params(i) + Model::layer_buffers(i);
      if constexpr (std::is_same_v<L, batch_norm>) {
        const std::size_t channels = count / 4, weights = Model::layer_params(i - 1) - channels;
        const std::size_t row = weights / channels;
        const T* bn = values + at; // gamma, beta, running mean, running variance
        T* w = out.data() + previous;
        T* b = w + weights;
        for (std::size_t c = 0; c < channels; ++c) {
          const double scale = double(bn[c]) / std::sqrt(double(bn[3 * channels + c]) + batch_norm::eps);
          for (std::size_t k = 0; k < row; ++k) w[c * row + k] = T(double(w[c * row + k]) * scale);
          b[c] = T((double(b[c]) - double(bn[2 * channels + c])) * scale + double(bn[channels + c]));
        }
      } else {
        previous = out.size();
        std::size_t done = 0;
        if constexpr (composite_layer<L>) // the inner layers' values come first in the block's
          done =
              fold_values<typename L::template inner_network<CTNN_SHAPE_OF(Model::layer_input(i))>>(values + at, out);
        out.insert(out.end(), values + at + done, values + at + count);
      }
      at += count;
    }
  });
  return at;
}
} // namespace detail

/// Model without its batch_norm layers (inside blocks too): what fold_batch_norm returns a
/// network of.
template <class Model>
using batch_norm_folded = typename detail::folded_model<Model>::type;

/// For deployment: a network of topology batch_norm_folded<Model> that computes what `trained`
/// computes at inference, with every batch_norm (inside blocks too) folded into the dense or conv
/// layer right before it: W' = W gamma / sqrt(running_var + eps) per output channel, b' = (b -
/// running_mean) gamma / sqrt(running_var + eps) + beta (computed in double, rounded once). A
/// batch_norm after any other layer (or first in a block) is a compile error
/// (diag::batch_norm_cannot_fold) naming it.
template <class Model, class T>
auto fold_batch_norm(const net<Model, T>& trained) {
  using problem = typename decltype(detail::fold_diagnosis<Model, detail::at_top>())::type;
  if constexpr (!problem::ok) {
    static_assert(problem::ok,
                  "fold_batch_norm: a batch_norm folds only into a dense or conv layer right before it; the "
                  "failed condition names it and the layer before it");
    return trained;
  } else {
    using folded = batch_norm_folded<Model>;
    const std::vector<T> values = trained.export_parameters();
    std::vector<T> out;
    out.reserve(net<folded, T>::value_count);
    detail::fold_values<Model>(values.data(), out);
    return net<folded, T>(std::span<const T>(out));
  }
}

} // namespace CTNN_NAMESPACE
