// batch_norm: batch normalization as PyTorch's nn.BatchNorm1d / nn.BatchNorm2d (momentum 0.1,
// eps 1e-5, affine, running statistics). Lowers to layers::batch_norm_stage
// (include/ctnn/layers/batch_norm.hpp). It folds (dsl/rewrite.hpp, runtime/fold.hpp): for
// deployment, fold_batch_norm(net) moves it into the dense or conv layer before it.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/protocol.hpp>

#include <cmath>
#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE {
namespace layers {
template <class T, std::size_t Channels, std::size_t Spatial, class Spec>
struct batch_norm_stage;
template <class T, std::size_t Steps, class Inner, std::size_t Cells>
struct per_step_stage;
} // namespace layers

/// batch_norm: y = (x - mean) / sqrt(var + 1e-5) * gamma + beta per feature (after dense: in
/// [F], PyTorch's BatchNorm1d(F)) or per channel (after conv1d: [C, L], BatchNorm1d(C); after
/// conv2d: [C, H, W], BatchNorm2d(C)).
/// - In training, mean and (biased) variance are the batch's, and the running statistics move
///   towards them after each step: running = 0.9 running + 0.1 batch, with the unbiased
///   variance (PyTorch's momentum 0.1).
/// - At inference (net(x), predict, evaluate) the running statistics are used.
/// 2C parameters (gamma 1, beta 0 at the start) and 2C buffers (running mean 0, running variance
/// 1), in PyTorch's state_dict order: weight, bias, running_mean, running_var.
/// fold_batch_norm(net) folds each batch_norm into the dense or conv before it.
///
/// On a sequence<Steps, Features, C> of frames (after a conv2d over time) it normalizes each
/// channel over every step and feature (PyTorch's BatchNorm2d on x.permute(0, 3, 1, 2), RTNeural's
/// BatchNorm2D), and steps in streams. A plain sequence<Steps, F> is refused: per_step<batch_norm>
/// normalizes each feature over the steps.
struct batch_norm {
  static constexpr double eps = 1e-5, momentum = 0.1;
  static constexpr layer_role role = layer_role::stage;
  enum error : int { none, receives_a_sequence };
  static constexpr layer_shape infer(const dims& in) noexcept {
    if (in.sequence && !in.channels) return {receives_a_sequence, {}};
    return {none, in};
  }
  /// Channels (features) normalized apart, and the values of one sample in each.
  static constexpr std::size_t channels(const dims& in) noexcept { return in.sequence ? in.channels : in.extent[0]; }
  static constexpr std::size_t spatial(const dims& in) noexcept { return in.size() / channels(in); }
  static constexpr std::size_t param_count(const dims& in) noexcept { return 2 * channels(in); }
  static constexpr std::size_t buffer_count(const dims& in) noexcept { return 2 * channels(in); }
  template <int, class Index, class Received>
  using diagnosis = diag::batch_norm_unsupported_rank<Index, batch_norm, diag::expects<diag::features_or_channel_maps>,
                                                      diag::receives<Received>, diag::fix_use_layer_norm_on_sequences>;
  /// Frames: the vector form over every [C] cell of every step, one step's cells at a time in
  /// streams.
  template <class T, class In, class Out, class>
  using stage = std::conditional_t<
      In::dims.sequence,
      layers::per_step_stage<T, In::dims.extent[0], layers::batch_norm_stage<T, channels(In::dims), 1, batch_norm>,
                             In::dims.sequence ? In::dims.frame_features() : 1>,
      layers::batch_norm_stage<T, channels(In::dims), spatial(In::dims), batch_norm>>;
  static std::string name() { return "batch_norm"; }

  // ---- folding (the protocol's `folds_into`, dsl/protocol.hpp) ----
  /// It folds into a layer before it that absorbs a per-channel scale (dense, conv).
  template <class Previous>
  static constexpr bool folds_into = detail::absorbs_channel_scale<Previous>();
  /// The diagnostic of a batch_norm at Where that cannot fold into Previous.
  template <class Where, class Previous>
  using fold_diagnosis = diag::batch_norm_cannot_fold<Where, batch_norm, diag::previous_layer<Previous>,
                                                      diag::fix_put_batch_norm_right_after_dense_or_conv>;
  /// Folds this layer's `count` values (gamma, beta, running mean, running variance, PyTorch's
  /// order) into the previous layer's `previous_params` values at w (a weight row per channel,
  /// then the bias): W' = W gamma / sqrt(var + eps), b' = (b - mean) gamma / sqrt(var + eps) +
  /// beta, computed in double and rounded once.
  template <class T>
  static void fold_into(const T* own, std::size_t count, T* w, std::size_t previous_params) noexcept {
    const std::size_t channels = count / 4, weights = previous_params - channels, row = weights / channels;
    T* b = w + weights;
    for (std::size_t c = 0; c < channels; ++c) {
      const double scale = double(own[c]) / std::sqrt(double(own[3 * channels + c]) + eps);
      for (std::size_t k = 0; k < row; ++k) w[c * row + k] = T(double(w[c * row + k]) * scale);
      b[c] = T((double(b[c]) - double(own[2 * channels + c])) * scale + double(own[channels + c]));
    }
  }
};

} // namespace CTNN_NAMESPACE
