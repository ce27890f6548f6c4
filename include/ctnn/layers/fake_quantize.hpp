// The fake_quantize stage (dsl/layers/fake_quantize.hpp): PyTorch's FakeQuantize with a
// MovingAverageMinMaxObserver over quint8 codes quant_min..quant_max, per tensor, in its
// arithmetic:
//   observe      lo, hi = the batch's min and max (the first batch), then
//                lo += c (batch min - lo), hi += c (batch max - hi), c = 0.01
//   qparams      lo' = min(lo, 0), hi' = max(hi, 0); s = max((hi' - lo') / 127, float epsilon),
//                zero = clamp(0 - round(lo' / s), 0, 127) (round: half to even); s kept as a float
//   forward      y = (clamp(nearbyint(x * (1.0f / s)) + zero, 0, 127) - zero) * s
//   backward     dx = dy where nearbyint(x * (1.0f / s)) + zero lies in 0..127, else 0
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>
#include <ctnn/layers/stage.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

namespace CTNN_NAMESPACE {

namespace layers {
/// The quantization parameters of an observed range [lo, hi] over codes qmin..qmax (PyTorch's
/// calculate_qparams for per-tensor affine quint8).
struct fake_quantize_qparams {
  float scale = 1, inverse = 1;
  int zero = 0;
  bool on = false; ///< a range has been observed ([0, 0]: none)

  static fake_quantize_qparams of(double lo, double hi, int qmin, int qmax) noexcept {
    if (lo == 0 && hi == 0) return {};
    const double l = std::min(lo, 0.0), h = std::max(hi, 0.0);
    double s = (h - l) / double(qmax - qmin);
    s = std::max(s, double(std::numeric_limits<float>::epsilon()));
    const double z = double(qmin) - std::nearbyint(l / s);
    fake_quantize_qparams q;
    q.scale = static_cast<float>(s);
    q.inverse = 1.0f / q.scale;
    q.zero = static_cast<int>(std::clamp(z, double(qmin), double(qmax)));
    q.on = true;
    return q;
  }
};
} // namespace layers

/// The codes of a fake_quantize's observed range: a ~ scale * (q - zero).
struct observed_codes {
  double scale;
  int zero;
};

/// What net.layer<I>() returns for a fake_quantize (Spec: its descriptor): its observed range.
template <class T, class Spec>
struct fake_quantize_view {
  T* params;
  T& min() const noexcept { return params[0]; }
  T& max() const noexcept { return params[1]; }
  /// The scale and zero point the observed range gives, over codes quant_min..quant_max (0..127:
  /// the codes of ctnn::quantize, which adopts them); nullopt while nothing is observed.
  std::optional<observed_codes> codes() const noexcept {
    const auto q =
        layers::fake_quantize_qparams::of(double(params[0]), double(params[1]), Spec::quant_min, Spec::quant_max);
    if (!q.on) return std::nullopt;
    return observed_codes{q.scale, q.zero};
  }
};

namespace layers {

template <class T, std::size_t N, class Spec>
struct fake_quantize_stage {
  static constexpr std::size_t in_size = N, out_size = N;
  static constexpr std::size_t out_stride = kernels::padded<T>(N);
  /// the observed min and max (buffers: no gradient, left alone by optimizers)
  static constexpr std::size_t param_size = kernels::padded<T>(2), trainable_size = 0;
  static constexpr std::size_t param_count = 0, buffer_count = 2;
  static constexpr bool batch_statistics = true;
  /// row 0 keeps the range this step observed (for backward and update_buffers)
  static constexpr std::size_t kept_stride = kernels::padded<T>(2);

  static fake_quantize_view<T, Spec> view(T* p) noexcept { return {p}; }

  using qparams = fake_quantize_qparams;
  static qparams of(T lo, T hi) noexcept {
    return qparams::of(double(lo), double(hi), Spec::quant_min, Spec::quant_max);
  }
  /// The code of x before clamping.
  static std::int64_t code(T x, const qparams& q) noexcept {
    return q.zero + static_cast<std::int64_t>(std::nearbyint(x * T(q.inverse)));
  }
  static T round(T x, const qparams& q) noexcept {
    if (!q.on) return x;
    const std::int64_t c = std::clamp<std::int64_t>(code(x, q), Spec::quant_min, Spec::quant_max);
    return T(c - q.zero) * T(q.scale);
  }

  static void forward(const T* p, const T* x, T* y) noexcept {
    const qparams q = of(p[0], p[1]);
    for (std::size_t i = 0; i < N; ++i) y[i] = round(x[i], q);
    std::fill(y + N, y + out_stride, T(0));
  }
  static void forward_batch(const T* p, const T* x, std::size_t ldx, T* kept, T* y, std::size_t n) noexcept {
    if (!kept) {
      for (std::size_t r = 0; r < n; ++r) forward(p, x + r * ldx, y + r * out_stride);
      return;
    }
    T lo = x[0], hi = x[0];
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t i = 0; i < N; ++i) {
        lo = std::min(lo, x[r * ldx + i]);
        hi = std::max(hi, x[r * ldx + i]);
      }
    if (!(p[0] == T(0) && p[1] == T(0))) { // a moving average after the first batch
      lo = p[0] + T(Spec::averaging_constant) * (lo - p[0]);
      hi = p[1] + T(Spec::averaging_constant) * (hi - p[1]);
    }
    kept[0] = lo;
    kept[1] = hi;
    const qparams q = of(lo, hi);
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t i = 0; i < N; ++i) y[r * out_stride + i] = round(x[r * ldx + i], q);
      std::fill(y + r * out_stride + N, y + (r + 1) * out_stride, T(0));
    }
  }
  /// The straight-through estimator: dx = dy where x's code was inside the range.
  static void backward(const T*, T* grad, const T* x, std::size_t ldx, const T* kept, const T*, T* dy, T* dx,
                       std::size_t n, kernels::store_mode mode = kernels::store_mode::add) noexcept {
    if (mode == kernels::store_mode::overwrite) std::fill(grad, grad + param_size, T(0));
    if (!dx) return;
    const qparams q = of(kept[0], kept[1]);
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t i = 0; i < N; ++i) {
        const std::int64_t c = q.on ? code(x[r * ldx + i], q) : Spec::quant_min;
        dx[r * ldx + i] = c >= Spec::quant_min && c <= Spec::quant_max ? dy[r * out_stride + i] : T(0);
      }
      std::fill(dx + r * ldx + N, dx + (r + 1) * ldx, T(0));
    }
  }
  static void update_buffers(T* p, const T* kept, std::size_t) noexcept {
    p[0] = kept[0];
    p[1] = kept[1];
  }

  /// state order: the observer's min_val, max_val.
  static void import_params(const T* logical, T* p) noexcept { std::copy_n(logical, 2, p); }
  static void export_params(const T* p, T* logical) noexcept { std::copy_n(p, 2, logical); }
  /// Nothing observed yet.
  template <class Init>
  static void initialize(T* p, const Init&, rng&) noexcept {
    std::fill_n(p, param_size, T(0));
  }
};

} // namespace layers

} // namespace CTNN_NAMESPACE
