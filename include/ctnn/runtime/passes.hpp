// The batched passes of a network over a workspace: the training forward (keeping what backward
// needs, drawing dropout masks), batched inference, backward to the parameters and to the input,
// and the update of stages' buffers (batch_norm's running statistics). net<> calls them on its
// parameters; they ask the layout (runtime/layout.hpp) and name no layer kind.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/index.hpp>
#include <ctnn/layers/stage.hpp>
#include <ctnn/runtime/layout.hpp>
#include <ctnn/runtime/workspace.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE::detail {

template <class Model, class T>
struct batch_passes {
  using L = network_layout<Model, T>;
  using lowered = typename L::lowered;
  template <std::size_t S>
  using stage = typename L::template stage<S>;
  static constexpr std::size_t stage_count = L::stage_count, input_size = L::input_size;

  /// The buffers of training batches of up to `capacity` samples: the inputs, each stage's kept
  /// values and output, two gradient buffers, and each core's scratch for a split step.
  static workspace<T> make_workspace(std::size_t capacity) {
    workspace<T> ws;
    ws.capacity_ = capacity;
    ws.z_.assign(stage_count, 0);
    ws.y_.assign(stage_count, 0);
    std::size_t at = 0;
    auto take = [&](std::size_t n) {
      const std::size_t o = at;
      at += kernels::round_up(n, alignment / sizeof(T));
      return o;
    };
    ws.input_ = take(capacity * input_size);
    for_each_index<stage_count>([&](auto s) {
      if constexpr (stage<s>::kept_stride > 0) ws.z_[s] = take(capacity * stage<s>::kept_stride);
      ws.y_[s] = take(capacity * stage<s>::out_stride);
    });
    ws.grad_[0] = take(capacity * lowered::max_stride);
    ws.grad_[1] = take(capacity * lowered::max_stride);
    // a gap keeps each core's scratch off the lines (and prefetches) of the other's
    constexpr std::size_t gap = 1024 / sizeof(T);
    ws.own_dz_[0] = take(capacity * lowered::max_stride + gap) + gap;
    ws.own_dz_[1] = take(capacity * lowered::max_stride + gap) + gap;
    ws.buffer_ = aligned_buffer<T>(at);
    return ws;
  }

  /// The buffers of batched inference only: the input rows and two output buffers the stages
  /// write in turn.
  static workspace<T> make_inference_workspace(std::size_t capacity) {
    workspace<T> ws;
    ws.capacity_ = capacity;
    ws.inference_only_ = true;
    ws.z_.assign(stage_count, 0);
    ws.y_.assign(stage_count, 0);
    const std::size_t rows = kernels::round_up(capacity * lowered::max_stride, alignment / sizeof(T));
    ws.input_ = 0;
    const std::size_t first = kernels::round_up(capacity * input_size, alignment / sizeof(T));
    unsigned next = 0; // in turn among the stages that run (run_batch skips inference identities)
    for_each_index<stage_count>([&](auto s) {
      if constexpr (!(L::template identity_at_inference<s> && s + 1 < stage_count)) {
        ws.y_[s] = first + next * rows;
        next ^= 1u;
      }
    });
    ws.buffer_ = aligned_buffer<T>(first + 2 * rows);
    return ws;
  }

  /// Every stage over n rows: training (keep_pre_activations: what backward needs, and dropout
  /// masks) or inference (identities at inference skipped). Returns the outputs.
  static const T* run_batch(const T* params, workspace<T>& ws, const T* x, std::size_t n,
                            bool keep_pre_activations) noexcept {
    const T* src = x;
    std::size_t ld = input_size;
    T* base = ws.buffer_.data();
    for_each_index<stage_count>([&](auto s) {
      T* z = stage<s>::kept_stride > 0 && keep_pre_activations ? base + ws.z_[s] : nullptr;
      T* y = base + ws.y_[s];
      const T* p = params + L::template offset<s>;
      if constexpr (L::template identity_at_inference<s> && s + 1 < stage_count) {
        if (!keep_pre_activations) return; // inference: the next stage reads this one's input
      }
      if constexpr (L::template stochastic<s>) {
        if (keep_pre_activations) // training: masks
          stage<s>::forward_batch(p, src, ld, z, y, n, noise{ws.noise_, L::noise_ids[s], 0});
        else
          stage<s>::forward_batch(p, src, ld, z, y, n);
      } else {
        stage<s>::forward_batch(p, src, ld, z, y, n);
      }
      src = y;
      ld = stage<s>::out_stride;
    });
    return src;
  }

  /// What stage S's backward reads and writes in ws: its input (x for the first stage) and
  /// the input's row stride, what its forward kept (null if nothing), its output, the
  /// gradient w.r.t. its output and, but for the first stage, w.r.t. its input.
  struct stage_buffers {
    const T* in;
    std::size_t ld;
    T* z; ///< what the stage's forward kept (its own: backward may use it as scratch)
    const T* y;
    T *dy, *dx;
  };
  template <std::size_t S>
  static stage_buffers backward_buffers(workspace<T>& ws, const T* x) noexcept {
    constexpr std::size_t k = stage_count - 1 - S; // backward steps before this one
    T* base = ws.buffer_.data();
    const T* in = S == 0 ? x : base + ws.y_[S == 0 ? 0 : S - 1];
    return {in,
            S == 0 ? input_size : lowered::strides[S == 0 ? 0 : S - 1],
            stage<S>::kept_stride > 0 ? base + ws.z_[S] : nullptr,
            base + ws.y_[S],
            base + ws.grad_[k % 2],
            S == 0 ? nullptr : base + ws.grad_[(k + 1) % 2]};
  }

  /// Backward after run_batch(..., true): see net::backward.
  static void backward(const T* params, workspace<T>& ws, const T* x, std::size_t n, T* grads,
                       kernels::store_mode mode) noexcept {
    for_each_index_reversed<stage_count>([&](auto s) {
      const auto b = backward_buffers<s>(ws, x);
      stage<s>::backward(params + L::template offset<s>, grads + L::template offset<s>, b.in, b.ld, b.z, b.y, b.dy,
                         b.dx, n, mode);
    });
  }

  /// Backward to the input, parameter gradients to scratch: see net::backward_input.
  static void backward_input(const T* params, std::size_t param_size, workspace<T>& ws, const T* x, std::size_t n,
                             T* dx) {
    static_assert(stage_count > 0, "ctnn::net::backward_input: the network has no stages");
    // The first stage reads its input and writes dx with one row stride, padded as between
    // stages: x is copied into padded rows, and dx copied out of them.
    constexpr std::size_t ld = kernels::padded<T>(input_size);
    const std::size_t rows = ws.capacity_ * ld;
    if (ws.discarded_.size() < param_size + 2 * rows) ws.discarded_ = aligned_buffer<T>(param_size + 2 * rows);
    T* grads = ws.discarded_.data();
    T* xp = grads + param_size;
    T* dxp = xp + rows;
    for (std::size_t r = 0; r < n; ++r) std::copy_n(x + r * input_size, input_size, xp + r * ld);
    for_each_index_reversed<stage_count>([&](auto s) {
      auto b = backward_buffers<s>(ws, x);
      if constexpr (s == 0) {
        b.in = xp;
        b.ld = ld;
        b.dx = dxp;
      }
      stage<s>::backward(params + L::template offset<s>, grads + L::template offset<s>, b.in, b.ld, b.z, b.y, b.dy,
                         b.dx, n, kernels::store_mode::overwrite);
    });
    for (std::size_t r = 0; r < n; ++r) std::copy_n(dxp + r * ld, input_size, dx + r * input_size);
  }

  /// Stages that keep statistics of the batch fold them into their buffers.
  static void update_buffers(T* params, const workspace<T>& ws, std::size_t n) noexcept {
    for_each_index<stage_count>([&](auto s) {
      if constexpr (capability::updates_buffers<stage<s>, T>)
        stage<s>::update_buffers(params + L::template offset<s>, ws.buffer_.data() + ws.z_[s], n);
    });
  }
};

} // namespace CTNN_NAMESPACE::detail
