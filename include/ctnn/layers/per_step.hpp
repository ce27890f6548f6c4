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

/// in sequence<Steps, F> -> out sequence<Steps, F'>: y_t = Inner(x_t). The parameters are
/// Inner's (the same slice, view and PyTorch order). Training runs Inner's batched forward and
/// backward over the Steps rows of each sample, so a dense layer's batched kernels serve it.
///
/// kept, per sample: Steps rows of the padded step inputs (F padded), Inner's kept rows and
/// Inner's output rows (F' padded), which backward hands back to Inner as they were.
/// Streams (layers/stage.hpp): no state; a step is Inner's forward.
template <class T, std::size_t Steps, class Inner>
struct per_step_stage {
  static_assert(capability::buffer_count<Inner> == 0 && !capability::stochastic<Inner> && !capability::steps<Inner> &&
                    !capability::batch_statistics<Inner>,
                "per_step<Layer>: Layer is a stage without buffers, noise or state (dense<Units>, or a user's "
                "vector layer)");
  static constexpr std::size_t F = Inner::in_size, G = Inner::out_size;
  static constexpr std::size_t fp = kernels::padded<T>(F), gp = Inner::out_stride;
  static constexpr std::size_t in_size = Steps * F;
  static constexpr std::size_t out_size = Steps * G;
  static constexpr std::size_t out_stride = kernels::padded<T>(out_size);
  static constexpr std::size_t param_size = Inner::param_size;
  static constexpr std::size_t param_count = Inner::param_count;
  static constexpr std::size_t inner_kept = kernels::padded<T>(Steps * Inner::kept_stride); ///< all steps'
  static constexpr std::size_t kept_stride = Steps * (fp + gp) + inner_kept;
  static constexpr std::size_t frame_bytes = capability::frame_bytes<Inner> + gp * sizeof(T);
  /// Streams: no state of its own; one step's output is Inner's.
  static constexpr std::size_t state_size = 0;
  static constexpr std::size_t step_stride = gp;

  static auto view(T* p) noexcept { return capability::view_of<Inner>(p); }

  static void forward(const T* p, const T* x, T* y) noexcept {
    CTNN_NAMESPACE::detail::frame<T, gp> row;
    for (std::size_t t = 0; t < Steps; ++t) {
      Inner::forward(p, x + t * F, row);
      std::copy_n(row.data(), G, y + t * G);
    }
    std::fill(y + out_size, y + out_stride, T(0));
  }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    if (!kept) {
      for (std::size_t s = 0; s < n; ++s) forward(p, x + s * ldx, y + s * out_stride);
      return;
    }
    for (std::size_t s = 0; s < n; ++s) {
      T* xs = kept + s * kept_stride;
      T* ks = xs + Steps * fp;
      T* ys = ks + inner_kept;
      for (std::size_t t = 0; t < Steps; ++t) {
        std::copy_n(x + s * ldx + t * F, F, xs + t * fp);
        std::fill(xs + t * fp + F, xs + (t + 1) * fp, T(0));
      }
      Inner::forward_batch(p, xs, fp, inner_kept ? ks : nullptr, ys, Steps);
      for (std::size_t t = 0; t < Steps; ++t) std::copy_n(ys + t * gp, G, y + s * out_stride + t * G);
      std::fill(y + s * out_stride + out_size, y + (s + 1) * out_stride, T(0));
    }
  }
  static void backward(const T* p, T* g, const T*, std::size_t ldx, const T* kept, const T*, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(g, g + param_size, T(0));
    CTNN_NAMESPACE::detail::frame<T, Steps * gp> dys;
    CTNN_NAMESPACE::detail::frame<T, Steps * fp> dxs;
    for (std::size_t s = 0; s < n; ++s) {
      const T* xs = kept + s * kept_stride;
      const T* ks = xs + Steps * fp;
      const T* ys = ks + inner_kept;
      for (std::size_t t = 0; t < Steps; ++t) {
        std::copy_n(dy + s * out_stride + t * G, G, dys + t * gp);
        std::fill(dys + t * gp + G, dys + (t + 1) * gp, T(0));
      }
      Inner::backward(p, g, xs, fp, inner_kept ? ks : nullptr, ys, dys, dx ? dxs.data() : nullptr, Steps,
                      kernels::store_mode::add);
      if (dx) {
        for (std::size_t t = 0; t < Steps; ++t) std::copy_n(dxs + t * fp, F, dx + s * ldx + t * F);
        std::fill(dx + s * ldx + in_size, dx + (s + 1) * ldx, T(0));
      }
    }
  }

  static void step(const T* p, T*, const T* x, T* y) noexcept { Inner::forward(p, x, y); }
  static void step_streams(const T* p, T*, std::size_t, const T* x, std::size_t ldx, T* y, std::size_t ldy,
                           std::size_t n) noexcept {
    for (std::size_t s = 0; s < n; ++s) Inner::forward(p, x + s * ldx, y + s * ldy);
  }

  static void import_params(const T* logical, T* p) noexcept { Inner::import_params(logical, p); }
  static void export_params(const T* p, T* logical) noexcept { Inner::export_params(p, logical); }
  template <class Init>
  static void initialize(T* p, const Init& init, rng& gen) {
    Inner::initialize(p, init, gen);
  }
};

} // namespace CTNN_NAMESPACE::layers
