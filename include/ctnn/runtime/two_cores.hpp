// One training batch on two cores (trainer::set_threads(2)). Both cores call
// forward_train_shared and then backward_shared on the same workspace, with core = 0 and 1 and
// a `sync` that returns once both cores have called it. A stage whose outputs span two registers
// or more splits by output columns (capability::splits_columns): each core computes, for all
// rows, the same half of the columns in every step, and updates the same half of the weights, so
// weights, gradients and optimizer state stay in that core's cache and the results equal one
// core's exactly. A stage that needs every row (capability::batch_statistics) runs on core 0.
// Other stages split by rows (samples); their gradients are summed from the two cores' buffers
// (reassociation only). Used by the trainer only; names no layer kind.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/index.hpp>
#include <ctnn/layers/stage.hpp>
#include <ctnn/runtime/layout.hpp>
#include <ctnn/runtime/passes.hpp>
#include <ctnn/runtime/workspace.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE::detail {

template <class Model, class T>
struct two_core_passes {
  using L = network_layout<Model, T>;
  using passes = batch_passes<Model, T>;
  template <std::size_t S>
  using stage = typename L::template stage<S>;
  static constexpr std::size_t stage_count = L::stage_count;

  /// The training forward over two cores; returns the outputs (all n rows, once both have
  /// returned).
  template <class Sync>
  static const T* forward_train_shared(const T* params, workspace<T>& ws, const T* x, std::size_t n, unsigned core,
                                       Sync&& sync) noexcept {
    const std::size_t r0 = core == 0 ? 0 : n / 2, r1 = core == 0 ? n / 2 : n;
    const T* src = x;
    std::size_t ld = L::input_size;
    T* base = ws.buffer_.data();
    for_each_index<stage_count>([&](auto s) {
      constexpr std::size_t P = stage<s>::out_stride, K = stage<s>::kept_stride;
      T* z = K > 0 ? base + ws.z_[s] : nullptr;
      T* y = base + ws.y_[s];
      const T* p = params + L::template offset<s>;
      if constexpr (capability::splits_columns<stage<s>>) {
        stage<s>::forward_batch(p, src, ld, z, y, n, stage<s>::owned_columns(core));
      } else if constexpr (capability::batch_statistics<stage<s>>) { // needs every row: core 0 runs it
        if (core == 0) {
          if constexpr (L::template stochastic<s>)
            stage<s>::forward_batch(p, src, ld, z, y, n, noise{ws.noise_, L::noise_ids[s], 0});
          else
            stage<s>::forward_batch(p, src, ld, z, y, n);
        }
      } else if constexpr (L::template stochastic<s>) { // the masks of rows r0.. are those one core would draw
        stage<s>::forward_batch(p, src + r0 * ld, ld, z ? z + r0 * K : nullptr, y + r0 * P, r1 - r0,
                                noise{ws.noise_, L::noise_ids[s], r0});
      } else {
        stage<s>::forward_batch(p, src + r0 * ld, ld, z ? z + r0 * K : nullptr, y + r0 * P, r1 - r0);
      }
      sync();
      src = y;
      ld = P;
    });
    return src;
  }

  /// Backward over two cores, after forward_train_shared and once both cores' rows of
  /// ws.output_gradient() are written. Writes (store_mode::overwrite) `grads` (columns-split
  /// stages, and core 0's rows of the rows-split ones) or `row_grads` (core 1's rows of
  /// rows-split stages), in the ranges for_each_update_range names.
  template <class Sync>
  static void backward_shared(const T* params, workspace<T>& ws, const T* x, std::size_t n, unsigned core, T* grads,
                              T* row_grads, Sync&& sync) noexcept {
    const std::size_t r0 = core == 0 ? 0 : n / 2, r1 = core == 0 ? n / 2 : n;
    for_each_index_reversed<stage_count>([&](auto s) {
      constexpr std::size_t P = stage<s>::out_stride, K = stage<s>::kept_stride;
      constexpr std::size_t off = L::template offset<s>;
      const auto b = passes::template backward_buffers<s>(ws, x);
      const std::size_t ld = b.ld;
      const T* p = params + off;
      if constexpr (capability::splits_columns<stage<s>>) {
        stage<s>::backward_params(grads + off, b.in, ld, b.z, b.y, b.dy, n, stage<s>::owned_columns(core),
                                  kernels::store_mode::overwrite, ws.buffer_.data() + ws.own_dz_[core]);
        if (!b.dx) return;
        sync(); // dz of the other core's columns
        stage<s>::backward_input(p, b.in + r0 * ld, ld, b.y + r0 * P, b.dy + r0 * P, b.dx + r0 * ld, r1 - r0);
      } else if constexpr (capability::batch_statistics<stage<s>>) { // core 0 has every row's gradients
        if (core == 0)
          stage<s>::backward(p, grads + off, b.in, ld, b.z, b.y, b.dy, b.dx, n, kernels::store_mode::overwrite);
        else
          std::fill_n(row_grads + off, stage<s>::param_size, T(0));
        if (!b.dx) return;
      } else {
        T* g = (core == 0 ? grads : row_grads) + off;
        stage<s>::backward(p, g, b.in + r0 * ld, ld, b.z ? b.z + r0 * K : nullptr, b.y + r0 * P, b.dy + r0 * P,
                           b.dx ? b.dx + r0 * ld : nullptr, r1 - r0, kernels::store_mode::overwrite);
        if (!b.dx) return;
      }
      sync(); // the stage before reads both cores' rows of dx
    });
  }

  /// Calls f(begin, end, summed) for each range of parameters that `core` updates after
  /// backward_shared; `summed`: the gradient is grads + row_grads (a rows-split stage, whose
  /// range the two cores halve). Ranges start on register boundaries.
  template <class F>
  static void for_each_update_range(unsigned core, F&& f) {
    for_each_index<stage_count>([&](auto s) {
      constexpr std::size_t off = L::template offset<s>;
      if constexpr (capability::splits_columns<stage<s>>) {
        stage<s>::for_each_owned_range(core, [&](std::size_t b, std::size_t e) { f(off + b, off + e, false); });
      } else {
        capability::for_each_trainable_range<stage<s>>([&](std::size_t b, std::size_t e) {
          const std::size_t mid = b + kernels::round_up((e - b) / 2, L::lanes);
          if (core == 0)
            f(off + b, off + std::min(mid, e), true);
          else if (mid < e)
            f(off + mid, off + e, true);
        });
      }
    });
  }
};

} // namespace CTNN_NAMESPACE::detail
