// Losses with PyTorch's formulas (mean reduction), each computing value and gradient in one
// pass, plus the metric reported beside it (accuracy or RMSE).
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/shape.hpp>
#include <ctnn/dsl/descriptors.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/train/metrics.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>

namespace CTNN_NAMESPACE::loss {

// Every loss provides, for outputs y (n rows, stride ldy, `out` used columns) and targets t
// (n rows of the target size), as static or const members (the trainer keeps the loss object, so
// a loss may have settings, as huber's delta):
//   value_and_gradient(y, ldy, t, out, dy, n) -> mean loss; dy (stride ldy) = dL/dy, zero padding
//   valid_target(t, out)     -> whether a target row is admissible (checked before training)
//   metric_name, metric_sum, finish_metric: accuracy or RMSE over a data set
//   kind                     -> task::regression, classes or binary: which metrics evaluate() adds
//   expected_target<Out>     -> the target shape it needs for an output shape Out
//   applies, fix_applies     -> (optional) the activation the loss applies to the outputs itself,
//                               and the diagnostic's fix: a network ending in it is a compile error

namespace detail {
/// The targets of the regression losses: any finite values.
template <class T>
bool all_finite(const T* t, std::size_t out) noexcept {
  return std::all_of(t, t + out, [](T v) { return std::isfinite(v); });
}
} // namespace detail

/// Mean squared error over all elements: mean((y - t)^2).
struct mse {
  static std::string name() { return "mse"; }
  template <Shape Out>
  using expected_target = Out;
  static constexpr const char* metric_name = "rmse";
  static constexpr task kind = task::regression;

  template <class T>
  static T value_and_gradient(const T* y, std::size_t ldy, const T* t, std::size_t out, T* dy, std::size_t n) noexcept {
    const T scale = T(2) / T(n * out);
    T sum = 0;
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t k = 0; k < out; ++k) {
        const T d = y[r * ldy + k] - t[r * out + k];
        sum += d * d;
        if (dy) dy[r * ldy + k] = scale * d;
      }
      if (dy) std::fill(dy + r * ldy + out, dy + (r + 1) * ldy, T(0));
    }
    return sum / T(n * out);
  }
  template <class T>
  static bool valid_target(const T* t, std::size_t out) noexcept {
    return detail::all_finite(t, out);
  }
  template <class T>
  static double metric_sum(const T* y, std::size_t ldy, const T* t, std::size_t out, std::size_t n) noexcept {
    double s = 0;
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t k = 0; k < out; ++k) s += std::pow(double(y[r * ldy + k]) - double(t[r * out + k]), 2);
    return s;
  }
  static double finish_metric(double sum, std::size_t n, std::size_t out) noexcept {
    return std::sqrt(sum / double(n * out));
  }
};

namespace detail {
/// Mean absolute error over a data set: the metric of mae and huber.
template <class T>
double absolute_error_sum(const T* y, std::size_t ldy, const T* t, std::size_t out, std::size_t n) noexcept {
  double s = 0;
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < out; ++k) s += std::abs(double(y[r * ldy + k]) - double(t[r * out + k]));
  return s;
}
/// An elementwise regression loss: mean of f(y - t) over all elements, gradient f'(y - t) / count.
template <class T, class F, class D>
T elementwise_mean(const T* y, std::size_t ldy, const T* t, std::size_t out, T* dy, std::size_t n, F f, D df) noexcept {
  const T scale = T(1) / T(n * out);
  T sum = 0;
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t k = 0; k < out; ++k) {
      const T d = y[r * ldy + k] - t[r * out + k];
      sum += f(d);
      if (dy) dy[r * ldy + k] = scale * df(d);
    }
    if (dy) std::fill(dy + r * ldy + out, dy + (r + 1) * ldy, T(0));
  }
  return sum * scale;
}
template <class T>
T sign(T d) noexcept {
  return T(d > T(0)) - T(d < T(0));
}
} // namespace detail

/// Mean absolute error (PyTorch's L1Loss): mean |y - t|; gradient sign(y - t) / count (0 at 0).
/// Metric: MAE.
struct mae {
  static std::string name() { return "mae"; }
  template <Shape Out>
  using expected_target = Out;
  static constexpr const char* metric_name = "mae";
  static constexpr task kind = task::regression;

  template <class T>
  static T value_and_gradient(const T* y, std::size_t ldy, const T* t, std::size_t out, T* dy, std::size_t n) noexcept {
    return detail::elementwise_mean(
        y, ldy, t, out, dy, n, [](T d) { return std::abs(d); }, [](T d) { return detail::sign(d); });
  }
  template <class T>
  static bool valid_target(const T* t, std::size_t out) noexcept {
    return detail::all_finite(t, out);
  }
  template <class T>
  static double metric_sum(const T* y, std::size_t ldy, const T* t, std::size_t out, std::size_t n) noexcept {
    return detail::absolute_error_sum(y, ldy, t, out, n);
  }
  static double finish_metric(double sum, std::size_t n, std::size_t out) noexcept { return sum / double(n * out); }
};

/// Huber loss (PyTorch's HuberLoss(delta)): 0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta),
/// d = y - t; mean over all elements. `loss::huber{.delta = 0.5}`. Metric: MAE.
struct huber {
  double delta = 1.0;

  static std::string name() { return "huber"; }
  template <Shape Out>
  using expected_target = Out;
  static constexpr const char* metric_name = "mae";
  static constexpr task kind = task::regression;

  template <class T>
  T value_and_gradient(const T* y, std::size_t ldy, const T* t, std::size_t out, T* dy, std::size_t n) const noexcept {
    const T dl = T(delta);
    return detail::elementwise_mean(
        y, ldy, t, out, dy, n,
        [dl](T d) { return std::abs(d) < dl ? T(0.5) * d * d : dl * (std::abs(d) - T(0.5) * dl); },
        [dl](T d) { return std::abs(d) < dl ? d : dl * detail::sign(d); });
  }
  template <class T>
  static bool valid_target(const T* t, std::size_t out) noexcept {
    return detail::all_finite(t, out);
  }
  template <class T>
  static double metric_sum(const T* y, std::size_t ldy, const T* t, std::size_t out, std::size_t n) noexcept {
    return detail::absolute_error_sum(y, ldy, t, out, n);
  }
  static double finish_metric(double sum, std::size_t n, std::size_t out) noexcept { return sum / double(n * out); }
};

namespace detail {
/// The target of the class-index losses (softmax_cross_entropy, nll): one value per sample, the
/// class, an integer in [0, out); their metric is the accuracy of the largest output.
struct class_index_target {
  template <Shape Out>
  using expected_target = shape<1>;
  static constexpr const char* metric_name = "accuracy";
  static constexpr task kind = task::classes;
  template <class T>
  static bool valid_target(const T* t, std::size_t out) noexcept {
    return t[0] >= T(0) && t[0] < T(out) && std::floor(t[0]) == t[0];
  }
  template <class T>
  static double metric_sum(const T* y, std::size_t ldy, const T* t, std::size_t out, std::size_t n) noexcept {
    double s = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const T* row = y + r * ldy;
      s += std::size_t(std::max_element(row, row + out) - row) == static_cast<std::size_t>(t[r]);
    }
    return s;
  }
  static double finish_metric(double sum, std::size_t n, std::size_t) noexcept { return sum / double(n); }
};
} // namespace detail

/// Negative log-likelihood (PyTorch's NLLLoss) on log-probabilities, e.g. the output of a final
/// log_softmax layer (the two together are cross-entropy): mean(-y[label]); the target is the
/// class index (shape<1>). Metric: accuracy.
struct nll : detail::class_index_target {
  static std::string name() { return "nll"; }

  template <class T>
  static T value_and_gradient(const T* y, std::size_t ldy, const T* t, std::size_t, T* dy, std::size_t n) noexcept {
    const T scale = T(1) / T(n);
    T sum = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const auto label = static_cast<std::size_t>(t[r]);
      sum -= y[r * ldy + label];
      if (dy) {
        std::fill(dy + r * ldy, dy + (r + 1) * ldy, T(0));
        dy[r * ldy + label] = -scale;
      }
    }
    return sum * scale;
  }
};

/// Binary cross-entropy on logits z, targets in [0, 1]:
/// mean(max(z, 0) - z t + log1p(exp(-|z|))); gradient (sigmoid(z) - t) / count.
struct bce_with_logits {
  static std::string name() { return "bce_with_logits"; }
  using applies = ctnn::sigmoid;
  using fix_applies = diag::fix_drop_the_final_sigmoid_the_loss_applies_it;
  template <Shape Out>
  using expected_target = Out;
  static constexpr const char* metric_name = "accuracy";
  static constexpr task kind = task::binary;

  template <class T>
  static T value_and_gradient(const T* z, std::size_t ldz, const T* t, std::size_t out, T* dz, std::size_t n) noexcept {
    const T scale = T(1) / T(n * out);
    T sum = 0;
    for (std::size_t r = 0; r < n; ++r) {
      for (std::size_t k = 0; k < out; ++k) {
        const T v = z[r * ldz + k], tv = t[r * out + k];
        sum += std::max(v, T(0)) - v * tv + std::log1p(std::exp(-std::abs(v)));
        if (dz) dz[r * ldz + k] = scale * (T(1) / (T(1) + std::exp(-v)) - tv);
      }
      if (dz) std::fill(dz + r * ldz + out, dz + (r + 1) * ldz, T(0));
    }
    return sum * scale;
  }
  template <class T>
  static bool valid_target(const T* t, std::size_t out) noexcept {
    return std::all_of(t, t + out, [](T v) { return v >= T(0) && v <= T(1); });
  }
  /// Counts outputs whose sign (logit > 0) agrees with target >= 0.5.
  template <class T>
  static double metric_sum(const T* z, std::size_t ldz, const T* t, std::size_t out, std::size_t n) noexcept {
    double s = 0;
    for (std::size_t r = 0; r < n; ++r)
      for (std::size_t k = 0; k < out; ++k) s += (z[r * ldz + k] > T(0)) == (t[r * out + k] >= T(0.5));
    return s;
  }
  static double finish_metric(double sum, std::size_t n, std::size_t out) noexcept { return sum / double(n * out); }
};

/// Softmax cross-entropy on logits (PyTorch's CrossEntropyLoss): the target is the class index,
/// one value per sample (shape<1>). Softmax and gradient are fused: dz = (softmax(z) - onehot) / n.
struct softmax_cross_entropy : detail::class_index_target {
  static std::string name() { return "softmax_cross_entropy"; }
  using applies = ctnn::softmax;
  using fix_applies = diag::fix_drop_the_final_softmax_the_loss_applies_it;

  template <class T>
  static T value_and_gradient(const T* z, std::size_t ldz, const T* t, std::size_t out, T* dz, std::size_t n) noexcept {
    const T scale = T(1) / T(n);
    T sum = 0;
    for (std::size_t r = 0; r < n; ++r) {
      const T* row = z + r * ldz;
      const auto label = static_cast<std::size_t>(t[r]);
      const T m = *std::max_element(row, row + out);
      T s = 0;
      for (std::size_t k = 0; k < out; ++k) s += std::exp(row[k] - m);
      const T log_sum = std::log(s) + m;
      sum += log_sum - row[label];
      if (dz) {
        T* g = dz + r * ldz;
        for (std::size_t k = 0; k < out; ++k) g[k] = scale * (std::exp(row[k] - log_sum) - T(k == label));
        std::fill(g + out, g + ldz, T(0));
      }
    }
    return sum * scale;
  }
};

} // namespace CTNN_NAMESPACE::loss
