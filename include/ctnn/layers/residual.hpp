// residual_stage: a residual block as the runtime runs it: the inner layers' own stages (lowered
// like a network of their own), the skip path (identity, or a projection stage), the sum and the
// activation fused after it. Everything the inner stages keep for backward, and the backward's
// scratch, lives in the block's kept buffer.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/core/index.hpp>
#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

namespace CTNN_NAMESPACE::layers {

/// in [InSize] -> out [OutSize]: y = act(f(x) + skip(x)), f = Inner's stages (a lowered network
/// whose input is the block's), skip = identity (Projection = void) or Projection's stage.
/// Parameters: f's (in its layout), then the projection's.
template <class T, class Inner, class Projection, class Act, std::size_t InSize, std::size_t OutSize>
struct residual_stage {
  static constexpr bool projected = !std::is_void_v<Projection>;
  static constexpr std::size_t L = kernels::lanes<T>;
  static constexpr std::size_t stages = Inner::stage_count;
  template <std::size_t S>
  using inner = typename Inner::template stage<S>;
  using skip = std::conditional_t<projected, Projection, inner<0>>; // (skip is only used when projected)

  static constexpr std::size_t in_size = InSize, out_size = OutSize;
  static constexpr std::size_t out_stride = kernels::padded<T>(OutSize);
  static constexpr std::size_t in_stride = kernels::padded<T>(InSize);
  static constexpr std::size_t projection_offset = kernels::round_up(Inner::param_size, alignment / sizeof(T));
  static constexpr std::size_t param_size = projection_offset + (projected ? skip::param_size : 0);
  static constexpr std::size_t param_count = [] {
    std::size_t n = projected ? skip::param_count : 0;
    ctnn::detail::for_each_index<stages>([&](auto s) { n += inner<s>::param_count; });
    return n;
  }();
  static constexpr std::size_t grad_stride = std::max(Inner::max_stride, in_stride);

  /// Per-sample sizes of the regions of the kept buffer, in order: each inner stage's kept and
  /// output, the projection's kept and output, the sum z, a copy of dz, the projection's input
  /// gradient, two inner gradient buffers. A call on n samples lays them out as n-row blocks.
  static constexpr std::size_t regions = 2 * stages + 7;
  static constexpr std::array<std::size_t, regions> widths = [] {
    std::array<std::size_t, regions> w{};
    ctnn::detail::for_each_index<stages>([&](auto s) {
      w[2 * s] = kernels::round_up(inner<s>::kept_stride, L);
      w[2 * s + 1] = inner<s>::out_stride;
    });
    if constexpr (projected) {
      w[2 * stages] = kernels::round_up(skip::kept_stride, L);
      w[2 * stages + 1] = skip::out_stride;
      w[2 * stages + 4] = in_stride;
    }
    w[2 * stages + 2] = out_stride;
    w[2 * stages + 3] = out_stride;
    w[2 * stages + 5] = w[2 * stages + 6] = grad_stride;
    return w;
  }();
  static constexpr std::size_t kept_stride = [] {
    std::size_t k = 0;
    for (std::size_t w : widths) k += w;
    return k;
  }();

  static void forward(const T* p, const T* x, T* y) noexcept {
    alignas(alignment) T buf[2][std::max(Inner::max_stride, out_stride)];
    alignas(alignment) T skip_out[projected ? skip::out_stride : 1];
    const T* src = x;
    ctnn::detail::for_each_index<stages>([&](auto s) {
      inner<s>::forward(p + Inner::offsets[s], src, buf[s % 2]);
      src = buf[s % 2];
    });
    const T* from = x;
    if constexpr (projected) {
      skip::forward(p + projection_offset, x, skip_out);
      from = skip_out;
    }
    T* sum = buf[stages % 2];
    for (std::size_t k = 0; k < out_size; ++k) sum[k] = src[k] + from[k];
    activate(sum, y);
  }

  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    if (!kept) { // inference: one sample at a time on stack buffers
      for (std::size_t r = 0; r < n; ++r) forward(p, x + r * ldx, y + r * out_stride);
      return;
    }
    const auto at = carve(kept, n);
    const T* src = x;
    std::size_t ld = ldx;
    ctnn::detail::for_each_index<stages>([&](auto s) {
      inner<s>::forward_batch(p + Inner::offsets[s], src, ld, inner<s>::kept_stride ? at[2 * s] : nullptr,
                              at[2 * s + 1], n);
      src = at[2 * s + 1];
      ld = inner<s>::out_stride;
    });
    const T* from = x;
    std::size_t ldf = ldx;
    if constexpr (projected) {
      skip::forward_batch(p + projection_offset, x, ldx, skip::kept_stride ? at[2 * stages] : nullptr,
                          at[2 * stages + 1], n);
      from = at[2 * stages + 1];
      ldf = skip::out_stride;
    }
    T* z = at[2 * stages + 2];
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t k = 0; k < out_size; ++k) z[r * out_stride + k] = src[r * ld + k] + from[r * ldf + k];
      std::fill(z + r * out_stride + out_size, z + (r + 1) * out_stride, T(0));
      activate(z + r * out_stride, y + r * out_stride);
    }
  }

  static void backward(const T* p, T* g, const T* x, std::size_t ldx, T* kept, const T* y, T* dy, T* dx, std::size_t n,
                       kernels::store_mode mode = kernels::store_mode::add) noexcept {
    const auto at = carve(kept, n);
    const T* z = at[2 * stages + 2];
    T* dz = at[2 * stages + 3];
    for (std::size_t r = 0; r < n; ++r) { // dz = dy act'(z), kept for the skip path
      if constexpr (!std::is_same_v<Act, kernels::identity_fn>)
        kernels::activation_backward<Act>(z + r * out_stride, y + r * out_stride, dy + r * out_stride,
                                          dy + r * out_stride, out_size);
      std::copy(dy + r * out_stride, dy + (r + 1) * out_stride, dz + r * out_stride);
    }
    // f: the inner stages backwards; the first one writes the block's dx
    T* grads[2] = {at[2 * stages + 5], at[2 * stages + 6]};
    T* out_grad = dy;
    ctnn::detail::for_each_index_reversed<stages>([&](auto s) {
      const T* in = s == 0 ? x : at[2 * (s == 0 ? 0 : s - 1) + 1];
      const std::size_t ld = s == 0 ? ldx : Inner::strides[s == 0 ? 0 : s - 1];
      T* in_grad = s == 0 ? dx : grads[s % 2];
      inner<s>::backward(p + Inner::offsets[s], g + Inner::offsets[s], in, ld, inner<s>::kept_stride ? at[2 * s] : nullptr,
                         at[2 * s + 1], out_grad, in_grad, n, mode);
      out_grad = in_grad;
    });
    // the skip path adds into dx
    if constexpr (projected) {
      T* dxp = dx ? at[2 * stages + 4] : nullptr;
      skip::backward(p + projection_offset, g + projection_offset, x, ldx,
                     skip::kept_stride ? at[2 * stages] : nullptr, at[2 * stages + 1], dz, dxp, n, mode);
      if (dx)
        for (std::size_t r = 0; r < n; ++r)
          for (std::size_t k = 0; k < in_size; ++k) dx[r * ldx + k] += dxp[r * ldx + k];
    } else if (dx) {
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t k = 0; k < in_size; ++k) dx[r * ldx + k] += dz[r * out_stride + k];
    }
  }

  static void import_params(const T* logical, T* p) noexcept {
    each_slice(p, [&](auto stage, T* slice) {
      decltype(stage)::type::import_params(logical, slice);
      logical += decltype(stage)::type::param_count;
    });
  }
  static void export_params(const T* p, T* logical) noexcept {
    each_slice(const_cast<T*>(p), [&](auto stage, T* slice) {
      decltype(stage)::type::export_params(slice, logical);
      logical += decltype(stage)::type::param_count;
    });
  }
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    each_slice(p, [&](auto stage, T* slice) { decltype(stage)::type::initialize(slice, init, gen); });
  }

private:
  /// y = act(z) over one sample, padding 0.
  static void activate(const T* z, T* y) noexcept {
    if constexpr (std::is_same_v<Act, kernels::identity_fn>)
      std::copy_n(z, out_size, y);
    else
      kernels::activation_forward<Act>(z, y, out_size);
    std::fill(y + out_size, y + out_stride, T(0));
  }
  /// f(std::type_identity<stage>, slice) for each inner stage, then the projection: PyTorch's
  /// order for a block whose skip path is registered after its body.
  template <class F>
  static void each_slice(T* p, F&& f) {
    ctnn::detail::for_each_index<stages>([&](auto s) { f(std::type_identity<inner<s>>{}, p + Inner::offsets[s]); });
    if constexpr (projected) f(std::type_identity<skip>{}, p + projection_offset);
  }
  static std::array<T*, regions> carve(T* kept, std::size_t n) noexcept {
    std::array<T*, regions> at{};
    for (std::size_t i = 0; i < regions; ++i) {
      at[i] = kept;
      kept += n * widths[i];
    }
    return at;
  }
};

} // namespace ctnn::layers
