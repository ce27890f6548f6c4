// What the stages of composite blocks (residual_stage, parallel_stage) share: the regions of
// their kept buffer, the activation fused after the block's join, and its gradient.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/activation.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE::layers::detail {

/// Capabilities as traits, for the blocks' questions "does any inner stage have it?".
template <class S>
struct has_batch_statistics : std::bool_constant<capability::batch_statistics<S>> {};
template <class S>
struct is_stochastic : std::bool_constant<capability::stochastic<S>> {};

/// The kept buffer of a block over n rows: region i holds n rows of widths[i], one after another.
template <class T, std::size_t Regions>
std::array<T*, Regions> carve(T* kept, std::size_t n, const std::array<std::size_t, Regions>& widths) noexcept {
  std::array<T*, Regions> at{};
  for (std::size_t i = 0; i < Regions; ++i) {
    at[i] = kept;
    kept += n * widths[i];
  }
  return at;
}

/// y = act(z) over one sample of size values, padding 0 up to stride.
template <class Act, class T>
void activate(const T* z, T* y, std::size_t size, std::size_t stride) noexcept {
  if constexpr (std::is_same_v<Act, kernels::identity_fn>)
    std::copy_n(z, size, y);
  else
    kernels::activation_forward<Act>(z, y, size);
  std::fill(y + size, y + stride, T(0));
}

/// dz = dy act'(z) over n rows of stride values (dy is overwritten with it, and dz keeps a copy
/// that the block's paths read after the inner stages have used dy as scratch).
template <class Act, class T>
void join_gradient(const T* z, const T* y, T* dy, T* dz, std::size_t n, std::size_t size, std::size_t stride) noexcept {
  for (std::size_t r = 0; r < n; ++r) {
    if constexpr (!std::is_same_v<Act, kernels::identity_fn>)
      kernels::activation_backward<Act>(z + r * stride, y + r * stride, dy + r * stride, dy + r * stride, size);
    std::copy(dy + r * stride, dy + (r + 1) * stride, dz + r * stride);
  }
}

} // namespace CTNN_NAMESPACE::layers::detail
