// Metrics beside the loss, as evaluate() returns them: accuracy, precision, recall, F1 and the
// confusion matrix for classification; RMSE and MAE for regression.
#pragma once

#include <ctnn/core/config.hpp>

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace CTNN_NAMESPACE {

/// What a loss's outputs mean, for the metrics (each loss declares its task).
enum class task {
  regression, ///< mse, mae, huber: RMSE and MAE
  classes,    ///< softmax_cross_entropy, nll: the predicted class is the largest output
  binary,     ///< bce_with_logits with one output: class 1 where the logit is > 0
};

/// Classification metrics from the confusion matrix (rows: true class, columns: predicted), as
/// scikit-learn computes them (a precision or recall with nothing to count is 0).
struct classification_metrics {
  std::size_t classes = 0;
  std::vector<std::size_t> confusion; ///< classes x classes
  double accuracy = 0;
  std::vector<double> precision, recall, f1; ///< per class
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;

  std::size_t count(std::size_t truth, std::size_t predicted) const noexcept {
    return confusion[truth * classes + predicted];
  }
  /// Adds one sample.
  void add(std::size_t truth, std::size_t predicted) noexcept { ++confusion[truth * classes + predicted]; }
  /// Computes accuracy, precision, recall and F1 from the counts.
  void finish() {
    precision.assign(classes, 0);
    recall.assign(classes, 0);
    f1.assign(classes, 0);
    std::size_t right = 0, all = 0;
    for (std::size_t c = 0; c < classes; ++c) {
      std::size_t tp = count(c, c), predicted = 0, actual = 0;
      for (std::size_t k = 0; k < classes; ++k) {
        predicted += count(k, c);
        actual += count(c, k);
      }
      right += tp;
      all += actual;
      precision[c] = predicted ? double(tp) / double(predicted) : 0.0;
      recall[c] = actual ? double(tp) / double(actual) : 0.0;
      f1[c] = precision[c] + recall[c] > 0 ? 2 * precision[c] * recall[c] / (precision[c] + recall[c]) : 0.0;
      macro_precision += precision[c] / double(classes);
      macro_recall += recall[c] / double(classes);
      macro_f1 += f1[c] / double(classes);
    }
    accuracy = all ? double(right) / double(all) : 0.0;
  }
  /// The confusion matrix as text, rows true classes, columns predicted ones.
  std::string confusion_table() const {
    std::string s = "true\\pred";
    char cell[32];
    for (std::size_t c = 0; c < classes; ++c) {
      std::snprintf(cell, sizeof cell, "%8zu", c);
      s += cell;
    }
    s += '\n';
    for (std::size_t t = 0; t < classes; ++t) {
      std::snprintf(cell, sizeof cell, "%9zu", t);
      s += cell;
      for (std::size_t p = 0; p < classes; ++p) {
        std::snprintf(cell, sizeof cell, "%8zu", count(t, p));
        s += cell;
      }
      s += '\n';
    }
    return s;
  }
};

/// Regression metrics over all outputs of a data set.
struct regression_metrics {
  double rmse = 0;
  double mae = 0;
};

namespace detail {
/// Accumulates the metrics of `kind` over batches of outputs y (stride ldy, `out` used) and
/// targets t (target_size per row).
class metric_accumulator {
public:
  metric_accumulator(task kind, std::size_t out) : kind_(kind), out_(out) {
    if (kind_ != task::regression) {
      c_.classes = kind_ == task::binary ? 2 : out;
      c_.confusion.assign(c_.classes * c_.classes, 0);
    }
  }
  template <class T>
  void add(const T* y, std::size_t ldy, const T* t, std::size_t target_size, std::size_t n) noexcept {
    for (std::size_t r = 0; r < n; ++r) {
      const T* row = y + r * ldy;
      const T* target = t + r * target_size;
      if (kind_ == task::regression) {
        for (std::size_t k = 0; k < out_; ++k) {
          const double d = double(row[k]) - double(target[k]);
          squares_ += d * d;
          abs_ += std::abs(d);
        }
        values_ += out_;
      } else if (kind_ == task::binary) {
        c_.add(target[0] >= T(0.5) ? 1 : 0, row[0] > T(0) ? 1 : 0);
      } else {
        std::size_t best = 0;
        for (std::size_t k = 1; k < out_; ++k)
          if (row[k] > row[best]) best = k;
        c_.add(static_cast<std::size_t>(target[0]), best);
      }
    }
  }
  std::optional<classification_metrics> classification() {
    if (kind_ == task::regression) return std::nullopt;
    c_.finish();
    return c_;
  }
  std::optional<regression_metrics> regression() const {
    if (kind_ != task::regression || values_ == 0) return std::nullopt;
    return regression_metrics{std::sqrt(squares_ / double(values_)), abs_ / double(values_)};
  }

private:
  task kind_;
  std::size_t out_;
  classification_metrics c_;
  double squares_ = 0, abs_ = 0;
  std::size_t values_ = 0;
};
} // namespace detail

} // namespace CTNN_NAMESPACE
