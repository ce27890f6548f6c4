// per_step_stage: a vector stage (Inner, shape<F> -> shape<F'>) run on every step of a
// sequence with one set of parameters; one step at a time in streams.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/frame.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE::layers {

/// in sequence<Steps, F> -> out sequence<Steps, F'>: y_t = Inner(x_t). The parameters (and
/// buffers) are Inner's: the same slice, view and PyTorch order. Training runs Inner's batched
/// forward and backward once over the n x Steps step rows of the batch, so a dense layer's batched
/// kernels serve it, and a stage that uses batch statistics (batch_norm) sees every step of every
/// sample, as PyTorch's BatchNorm1d over [batch, features, steps] does.
///
/// kept, for the n samples given (regions of n x Steps rows, so its size is n x kept_stride):
/// the padded step inputs (F padded) and Inner's outputs (F' padded) and kept values, which
/// backward hands back to Inner as they were, then room for backward's step rows of dy and dx.
/// Streams (layers/stage.hpp): no state; a step is Inner's forward.
///
/// Cells > 1: each step is Cells rows of F (a frame of a sequence<Steps, Cells, F>): Inner runs on
/// every cell of every step, n x Steps x Cells rows in training (batch_norm over the channels of
/// frames, as BatchNorm2d).
template <class T, std::size_t Steps, class Inner, std::size_t Cells = 1>
struct per_step_stage {
  static_assert(!capability::stochastic<Inner> && !capability::steps<Inner>,
                "per_step<Layer>: Layer is a stage without noise or state (dense<Units>, batch_norm, channel_prelu, "
                "or a user's vector layer)");
  static constexpr std::size_t F = Inner::in_size, G = Inner::out_size;
  static constexpr std::size_t fp = kernels::padded<T>(F), gp = Inner::out_stride;
  static constexpr std::size_t Rows = Steps * Cells; ///< rows of one sample
  static constexpr std::size_t in_size = Rows * F;
  static constexpr std::size_t out_size = Rows * G;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t param_size = Inner::param_size;
  static constexpr std::size_t param_count = Inner::param_count;
  static constexpr std::size_t buffer_count = capability::buffer_count<Inner>;
  static constexpr std::size_t trainable_size = capability::trainable_size<Inner>;
  static constexpr bool batch_statistics = capability::batch_statistics<Inner>;
  /// Per sample: x rows, y rows, Inner's kept values, dy rows, dx rows.
  static constexpr std::size_t kept_stride = Rows * (2 * fp + 2 * gp) + kernels::padded<T>(Rows * Inner::kept_stride);
  static constexpr std::size_t frame_bytes = capability::frame_bytes<Inner> + gp * sizeof(T);
  /// Streams: no state of its own; one step's output is Inner's.
  static constexpr std::size_t state_size = 0;
  static constexpr std::size_t step_stride = Cells == 1 ? gp : kernels::padded<T>(Cells * G);

  static auto view(T* p) noexcept { return capability::view_of<Inner>(p); }

  static void forward(const T* p, const T* x, T* y) noexcept { rows_forward(p, x, y, Rows, out_stride); }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    if (!kept) { // inference: sample by sample
      for (std::size_t s = 0; s < n; ++s) forward(p, x + s * ldx, y + s * out_stride);
      return;
    }
    const auto r = regions(kept, n);
    to_rows(x, ldx, F, r.x, fp, n);
    Inner::forward_batch(p, r.x, fp, Inner::kept_stride ? r.inner : nullptr, r.y, n * Rows);
    from_rows(r.y, gp, G, y, out_stride, n);
  }
  static void backward(const T* p, T* g, const T*, std::size_t ldx, T* kept, const T*, T* dy, T* dx, std::size_t n,
                       kernels::store_mode mode = kernels::store_mode::add) noexcept {
    const auto r = regions(kept, n);
    to_rows(dy, out_stride, G, r.dy, gp, n);
    Inner::backward(p, g, r.x, fp, Inner::kept_stride ? r.inner : nullptr, r.y, r.dy, dx ? r.dx : nullptr, n * Rows,
                    mode);
    if (dx) from_rows(r.dx, fp, F, dx, ldx, n);
  }
  /// After a training step, Inner's buffers from its kept values of every step row (batch_norm's
  /// running statistics).
  static void update_buffers(T* p, const T* kept,
                             std::size_t n) noexcept requires capability::updates_buffers<Inner, T> {
    Inner::update_buffers(p, regions(const_cast<T*>(kept), n).inner, n * Rows);
  }

  static void step(const T* p, T*, const T* x, T* y) noexcept {
    if constexpr (Cells == 1)
      Inner::forward(p, x, y); // straight into the stream's row
    else
      rows_forward(p, x, y, Cells, step_stride);
  }

  static void import_params(const T* logical, T* p) noexcept { Inner::import_params(logical, p); }
  static void export_params(const T* p, T* logical) noexcept { Inner::export_params(p, logical); }
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    Inner::initialize(p, init, gen);
  }

private:
  /// Inner on `count` rows of x, one after the other into y, then zeros up to `stride`.
  static void rows_forward(const T* p, const T* x, T* y, std::size_t count, std::size_t stride) noexcept {
    ctnn::detail::frame<T, gp> row;
    for (std::size_t t = 0; t < count; ++t) {
      Inner::forward(p, x + t * F, row);
      std::copy_n(row.data(), G, y + t * G);
    }
    std::fill(y + count * G, y + stride, T(0));
  }

  /// The steps of n samples (rows of ld values, `width` per step) as n x Steps rows of row_ld
  /// values, padded with zeros ...
  static void to_rows(const T* from, std::size_t ld, std::size_t width, T* rows, std::size_t row_ld,
                      std::size_t n) noexcept {
    for (std::size_t s = 0; s < n; ++s)
      for (std::size_t t = 0; t < Rows; ++t) {
        T* row = rows + (s * Rows + t) * row_ld;
        std::copy_n(from + s * ld + t * width, width, row);
        std::fill(row + width, row + row_ld, T(0));
      }
  }
  /// ... and back, each sample's padding (after Steps x width values) set to zero.
  static void from_rows(const T* rows, std::size_t row_ld, std::size_t width, T* to, std::size_t ld,
                        std::size_t n) noexcept {
    for (std::size_t s = 0; s < n; ++s) {
      for (std::size_t t = 0; t < Rows; ++t)
        std::copy_n(rows + (s * Rows + t) * row_ld, width, to + s * ld + t * width);
      std::fill(to + s * ld + Rows * width, to + (s + 1) * ld, T(0));
    }
  }

  struct kept_regions {
    T *x, *y, *inner, *dy, *dx;
  };
  /// The regions of n samples' kept values, each of n x Steps rows (aligned: every size is whole
  /// registers).
  static kept_regions regions(T* kept, std::size_t n) noexcept {
    const std::size_t rows = n * Rows;
    kept_regions r{};
    r.x = kept;
    r.y = r.x + rows * fp;
    r.inner = r.y + rows * gp;
    r.dy = r.inner + kernels::padded<T>(rows * Inner::kept_stride);
    r.dx = r.dy + rows * gp;
    return r;
  }
};

} // namespace CTNN_NAMESPACE::layers
