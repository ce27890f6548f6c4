// residual_stage: a residual block as the runtime runs it: the inner layers' own stages (lowered
// like a network of their own), the skip path (identity, or a projection stage), the sum and the
// activation fused after it. Everything the inner stages keep for backward, and the backward's
// scratch, lives in the block's kept buffer. The block declares every stage capability
// (layers/stage.hpp) that an inner stage has and carries it to that stage: buffers and their
// updates, trainable ranges, random masks, batch statistics, inference identity and streams.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/frame.hpp>
#include <ctnn/core/index.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/kernels/activation.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/composite.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <span>
#include <type_traits>

namespace CTNN_NAMESPACE::layers {

/// What net.layer<I>() returns for a residual block: its inner layers' own views, by their index
/// inside the block (net.layer<2>().layer<0>().weight(o, i); a block inside a block gives its
/// own block_view), and the skip path's projection.
template <class T, class Inner, class Projection, std::size_t ProjectionOffset>
struct block_view {
  T* params;
  /// Inner layer J (0: the block's first layer).
  template <std::size_t J>
  auto layer() const noexcept {
    static_assert(J + 1 < Inner::model::layer_count, "block.layer<J>(): J is past the block's last layer");
    constexpr std::size_t s = Inner::stage_of_layer(J + 1);
    static_assert(s != std::size_t(-1),
                  "block.layer<J>(): the block's layer J has no parameters (layers such as dense and conv2d have)");
    if constexpr (s == std::size_t(-1))
      return std::span<T>{};
    else
      return capability::view_of<typename Inner::template stage<s>>(params + Inner::offsets[s]);
  }
  /// The 1x1 projection of residual<project, ...> (a dense or conv view).
  auto projection() const noexcept requires(!std::is_void_v<Projection>) {
    return capability::view_of<Projection>(params + ProjectionOffset);
  }
};

namespace detail {
/// Whether any of Inner's stages (and the projection, unless void) has a capability.
template <class Inner, class Projection, template <class> class Has>
constexpr bool any_stage() noexcept {
  bool any = false;
  ctnn::detail::for_each_index<Inner::stage_count>(
      [&](auto s) { any = any || Has<typename Inner::template stage<s>>::value; });
  if constexpr (!std::is_void_v<Projection>) any = any || Has<Projection>::value;
  return any;
}
/// A stage a stream can run: it steps, or it is nothing at inference.
template <class S>
struct cannot_step : std::bool_constant<!capability::steps<S> && !capability::inference_identity<S>> {};

/// The stream members of a residual block over a sequence whose every inner stage steps (no
/// projection): the inner states one after another, y_t = act(f_t(x_t) + x_t).
template <class T, class Inner, class Act, std::size_t StepSize, bool Streams>
struct residual_streams {};
template <class T, class Inner, class Act, std::size_t StepSize>
struct residual_streams<T, Inner, Act, StepSize, true> {
  template <std::size_t S>
  using inner = typename Inner::template stage<S>;
  static constexpr std::array<std::size_t, Inner::stage_count + 1> state_offsets = [] {
    std::array<std::size_t, Inner::stage_count + 1> o{};
    ctnn::detail::for_each_index<Inner::stage_count>([&](auto s) {
      if constexpr (capability::steps<inner<s>>)
        o[s + 1] = o[s] + inner<s>::state_size;
      else
        o[s + 1] = o[s];
    });
    return o;
  }();
  static constexpr std::size_t state_size = state_offsets[Inner::stage_count];
  static constexpr std::size_t step_stride = kernels::padded<T>(StepSize);
  static constexpr std::size_t widest = [] {
    std::size_t w = step_stride;
    ctnn::detail::for_each_index<Inner::stage_count>([&](auto s) {
      if constexpr (capability::steps<inner<s>>) w = std::max<std::size_t>(w, inner<s>::step_stride);
    });
    return w;
  }();

  static void step(const T* p, T* state, const T* x, T* y) noexcept {
    alignas(alignment) T buf[2][widest];
    const T* src = x;
    unsigned next = 0;
    ctnn::detail::for_each_index<Inner::stage_count>([&](auto s) {
      if constexpr (capability::steps<inner<s>>) {
        inner<s>::step(p + Inner::offsets[s], state + state_offsets[s], src, buf[next]);
        src = buf[next];
        next ^= 1u;
      }
    });
    T* sum = buf[next];
    for (std::size_t k = 0; k < StepSize; ++k) sum[k] = src[k] + x[k];
    if constexpr (std::is_same_v<Act, kernels::identity_fn>)
      std::copy_n(sum, StepSize, y);
    else
      kernels::activation_forward<Act>(sum, y, StepSize);
    std::fill(y + StepSize, y + step_stride, T(0));
  }
};
} // namespace detail

/// in [InSize] -> out [OutSize]: y = act(f(x) + skip(x)), f = Inner's stages (a lowered network
/// whose input is the block's), skip = identity (Projection = void) or Projection's stage.
/// Parameters: f's (in its layout), then the projection's. StepSize: the features of one time
/// step if the input is a sequence (0 otherwise).
template <class T, class Inner, class Projection, class Act, std::size_t InSize, std::size_t OutSize,
          std::size_t StepSize>
struct residual_stage : detail::residual_streams<T, Inner, Act, StepSize,
                                                 StepSize != 0 && std::is_void_v<Projection> &&
                                                     !detail::any_stage<Inner, void, detail::cannot_step>()> {
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

  static block_view<T, Inner, Projection, projection_offset> view(T* p) noexcept { return {p}; }

  // ---- capabilities carried from the inner stages (layers/stage.hpp) ----
  static constexpr std::size_t buffer_count = [] {
    std::size_t n = projected ? capability::buffer_count<skip> : 0;
    ctnn::detail::for_each_index<stages>([&](auto s) { n += capability::buffer_count<inner<s>>; });
    return n;
  }();
  static constexpr bool batch_statistics = detail::any_stage<Inner, Projection, detail::has_batch_statistics>();
  static constexpr bool stochastic = detail::any_stage<Inner, Projection, detail::is_stochastic>();
  /// The inner stages' stream ids, numbered as they would be outside the block.
  static constexpr std::array<std::size_t, stages + 1> noise_ids = [] {
    std::array<std::size_t, stages + 1> o{};
    ctnn::detail::for_each_index<stages>([&](auto s) { o[s + 1] = o[s] + capability::noise_streams<inner<s>>; });
    return o;
  }();
  static constexpr std::size_t noise_streams = std::max<std::size_t>(noise_ids[stages], 1);

  /// f(begin, end) for each inner stage's trainable ranges, then the projection's.
  template <class F>
  static constexpr void for_each_trainable_range(F&& f) {
    ctnn::detail::for_each_index<stages>([&](auto s) {
      capability::for_each_trainable_range<inner<s>>(
          [&](std::size_t b, std::size_t e) { f(Inner::offsets[s] + b, Inner::offsets[s] + e); });
    });
    if constexpr (projected)
      capability::for_each_trainable_range<skip>(
          [&](std::size_t b, std::size_t e) { f(projection_offset + b, projection_offset + e); });
  }
  /// After a training step: each inner stage that keeps batch statistics folds them into its
  /// buffers (the block's kept buffer holds what the forward of n rows kept).
  static void update_buffers(T* p, const T* kept, std::size_t n) noexcept
      requires(detail::any_stage<Inner, Projection, detail::has_batch_statistics>()) {
    const auto at = detail::carve(const_cast<T*>(kept), n, widths);
    ctnn::detail::for_each_index<stages>([&](auto s) {
      if constexpr (capability::updates_buffers<inner<s>, T>)
        inner<s>::update_buffers(p + Inner::offsets[s], at[2 * s], n);
    });
    if constexpr (projected && capability::updates_buffers<skip, T>)
      skip::update_buffers(p + projection_offset, at[2 * stages], n);
  }

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

  /// Stage protocol: forward's two buffers and skip output, and the largest inner stage's frames.
  static constexpr std::size_t frame_bytes =
      (2 * std::max(Inner::max_stride, out_stride) + (projected ? skip::out_stride : 1)) * sizeof(T) + [] {
        std::size_t m = projected ? capability::frame_bytes<skip> : 0;
        ctnn::detail::for_each_index<stages>([&](auto s) { m = std::max(m, capability::frame_bytes<inner<s>>); });
        return m;
      }();
  static void forward(const T* p, const T* x, T* y) noexcept {
    ctnn::detail::frame<T, std::max(Inner::max_stride, out_stride)> first, second;
    T* const buf[2] = {first, second};
    ctnn::detail::frame<T, projected ? skip::out_stride : 1> skip_out;
    const T* src = x;
    unsigned next = 0;
    ctnn::detail::for_each_index<stages>([&](auto s) {
      if constexpr (!capability::inference_identity<inner<s>>) { // dropout: nothing at inference
        inner<s>::forward(p + Inner::offsets[s], src, buf[next]);
        src = buf[next];
        next ^= 1u;
      }
    });
    const T* from = x;
    if constexpr (projected) {
      skip::forward(p + projection_offset, x, skip_out);
      from = skip_out;
    }
    T* sum = buf[next];
    for (std::size_t k = 0; k < out_size; ++k) sum[k] = src[k] + from[k];
    detail::activate<Act>(sum, y, out_size, out_stride);
  }

  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    if (!kept) { // inference: one sample at a time on stack buffers
      for (std::size_t r = 0; r < n; ++r) forward(p, x + r * ldx, y + r * out_stride);
      return;
    }
    train_forward(p, x, ldx, kept, y, n, noise{0, 0, 0});
  }
  /// Training with random masks: each inner stochastic stage draws from its own stream id.
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n,
                            const noise& nz) noexcept
      requires(detail::any_stage<Inner, Projection, detail::is_stochastic>()) {
    train_forward(p, x, ldx, kept, y, n, nz);
  }

  static void backward(const T* p, T* g, const T* x, std::size_t ldx, T* kept, const T* y, T* dy, T* dx, std::size_t n,
                       kernels::store_mode mode = kernels::store_mode::add) noexcept {
    const auto at = detail::carve(kept, n, widths);
    const T* z = at[2 * stages + 2];
    T* dz = at[2 * stages + 3];
    detail::join_gradient<Act>(z, y, dy, dz, n, out_size, out_stride); // kept for the skip path
    // f: the inner stages backwards; the first one writes the block's dx
    T* grads[2] = {at[2 * stages + 5], at[2 * stages + 6]};
    T* out_grad = dy;
    ctnn::detail::for_each_index_reversed<stages>([&](auto s) {
      const T* in = s == 0 ? x : at[2 * (s == 0 ? 0 : s - 1) + 1];
      const std::size_t ld = s == 0 ? ldx : Inner::strides[s == 0 ? 0 : s - 1];
      T* in_grad = s == 0 ? dx : grads[s % 2];
      inner<s>::backward(p + Inner::offsets[s], g + Inner::offsets[s], in, ld,
                         inner<s>::kept_stride ? at[2 * s] : nullptr, at[2 * s + 1], out_grad, in_grad, n, mode);
      out_grad = in_grad;
    });
    // the skip path adds into dx
    if constexpr (projected) {
      T* dxp = dx ? at[2 * stages + 4] : nullptr;
      skip::backward(p + projection_offset, g + projection_offset, x, ldx, skip::kept_stride ? at[2 * stages] : nullptr,
                     at[2 * stages + 1], dz, dxp, n, mode);
      if (dx)
        for (std::size_t r = 0; r < n; ++r)
          for (std::size_t k = 0; k < in_size; ++k) dx[r * ldx + k] += dxp[r * ldx + k];
    } else if (dx) {
      for (std::size_t r = 0; r < n; ++r)
        for (std::size_t k = 0; k < in_size; ++k) dx[r * ldx + k] += dz[r * out_stride + k];
    }
  }

  /// The inner stages' values in PyTorch's order (each stage's parameters, then its buffers), then
  /// the projection's.
  static void import_params(const T* logical, T* p) noexcept {
    each_slice(p, [&](auto stage, T* slice) {
      using S = typename decltype(stage)::type;
      S::import_params(logical, slice);
      logical += S::param_count + capability::buffer_count<S>;
    });
  }
  static void export_params(const T* p, T* logical) noexcept {
    each_slice(const_cast<T*>(p), [&](auto stage, T* slice) {
      using S = typename decltype(stage)::type;
      S::export_params(slice, logical);
      logical += S::param_count + capability::buffer_count<S>;
    });
  }
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    each_slice(p, [&](auto stage, T* slice) { decltype(stage)::type::initialize(slice, init, gen); });
  }

private:
  /// The training forward over n rows, keeping every inner stage's kept and output.
  static void train_forward(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n,
                            const noise& nz) noexcept {
    const auto at = detail::carve(kept, n, widths);
    const T* src = x;
    std::size_t ld = ldx;
    ctnn::detail::for_each_index<stages>([&](auto s) {
      T* k = inner<s>::kept_stride ? at[2 * s] : nullptr;
      if constexpr (capability::stochastic<inner<s>>)
        inner<s>::forward_batch(p + Inner::offsets[s], src, ld, k, at[2 * s + 1], n,
                                noise{nz.seed, nz.stage + noise_ids[s], nz.row0});
      else
        inner<s>::forward_batch(p + Inner::offsets[s], src, ld, k, at[2 * s + 1], n);
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
      detail::activate<Act>(z + r * out_stride, y + r * out_stride, out_size, out_stride);
    }
  }
  /// f(std::type_identity<stage>, slice) for each inner stage, then the projection: PyTorch's
  /// order for a block whose skip path is registered after its body.
  template <class F>
  static void each_slice(T* p, F&& f) {
    ctnn::detail::for_each_index<stages>([&](auto s) { f(std::type_identity<inner<s>>{}, p + Inner::offsets[s]); });
    if constexpr (projected) f(std::type_identity<skip>{}, p + projection_offset);
  }
};

} // namespace CTNN_NAMESPACE::layers
