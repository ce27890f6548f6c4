// dataset<T, InputShape, TargetShape>: samples in memory, row-major, typed by their shapes so
// that a dataset that does not fit the network or the loss is a compile error.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/random.hpp>
#include <ctnn/core/shape.hpp>
#include <ctnn/core/tensor.hpp>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE {

/// n samples: inputs (n x InputShape::size) and targets (n x TargetShape::size), row-major.
/// For softmax_cross_entropy the target is shape<1> holding the class index.
template <class T, Shape InputShape, Shape TargetShape>
class dataset {
public:
  using value_type = T;
  using input_shape = InputShape;
  using target_shape = TargetShape;
  static constexpr std::size_t input_size = InputShape::size;
  static constexpr std::size_t target_size = TargetShape::size;

  std::size_t size() const noexcept { return inputs_.size() / input_size; }
  bool empty() const noexcept { return inputs_.empty(); }
  void reserve(std::size_t n) {
    inputs_.reserve(n * input_size);
    targets_.reserve(n * target_size);
  }
  void push_back(std::span<const T, input_size> x, std::span<const T, target_size> t) {
    inputs_.insert(inputs_.end(), x.begin(), x.end());
    targets_.insert(targets_.end(), t.begin(), t.end());
  }
  void push_back(const tensor<T, InputShape>& x, const tensor<T, TargetShape>& t) { push_back(x.span(), t.span()); }
  /// A sample of several inputs (InputShape inputs<S...>): one tensor per input, in order.
  template <class... Parts>
  requires((Parts::size + ... + 0) == input_size) void push_back(const std::tuple<tensor<T, Parts>...>& x,
                                                                 const tensor<T, TargetShape>& t) {
    std::apply([&](const auto&... part) { (inputs_.insert(inputs_.end(), part.begin(), part.end()), ...); }, x);
    targets_.insert(targets_.end(), t.begin(), t.end());
  }

  const T* input(std::size_t i) const noexcept { return inputs_.data() + i * input_size; }
  const T* target(std::size_t i) const noexcept { return targets_.data() + i * target_size; }
  T* input(std::size_t i) noexcept { return inputs_.data() + i * input_size; }
  T* target(std::size_t i) noexcept { return targets_.data() + i * target_size; }
  std::span<const T> inputs() const noexcept { return inputs_; }
  std::span<const T> targets() const noexcept { return targets_; }

  /// Sample i's input as a tensor, ready for net(x).
  tensor<T, InputShape> input_tensor(std::size_t i) const noexcept {
    tensor<T, InputShape> x;
    std::copy_n(input(i), input_size, x.data());
    return x;
  }

  /// The samples whose index satisfies pred(i), in order (e.g. a fixed train/test split).
  template <class Pred>
  dataset subset(Pred pred) const {
    dataset d;
    for (std::size_t i = 0; i < size(); ++i)
      if (pred(i))
        d.push_back(std::span<const T, input_size>(input(i), input_size),
                    std::span<const T, target_size>(target(i), target_size));
    return d;
  }

  /// A dataset copied from a caller's arrays: inputs (n x input_size values, row-major) and
  /// targets (n x target_size). Throws std::invalid_argument if the sizes do not make whole rows
  /// or disagree on n.
  static dataset from(std::span<const T> inputs, std::span<const T> targets) {
    if (inputs.size() % input_size != 0 || targets.size() % target_size != 0 ||
        inputs.size() / input_size != targets.size() / target_size)
      throw std::invalid_argument("ctnn::dataset::from: " + std::to_string(inputs.size()) + " input values and " +
                                  std::to_string(targets.size()) + " target values are not n rows of " +
                                  std::to_string(input_size) + " and " + std::to_string(target_size));
    dataset d;
    d.inputs_.assign(inputs.begin(), inputs.end());
    d.targets_.assign(targets.begin(), targets.end());
    return d;
  }

  /// A shuffled split: `fraction` of the samples (rounded down) in the first part, the rest in the
  /// second, each keeping the dataset's order; the same seed gives the same split.
  std::pair<dataset, dataset> split(double fraction, std::uint64_t seed = 0) const {
    if (!(fraction >= 0 && fraction <= 1))
      throw std::invalid_argument("ctnn::dataset::split: the fraction must be in [0, 1], got " +
                                  std::to_string(fraction));
    std::vector<std::size_t> order(size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    rng gen(seed);
    for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[gen.below(i)]);
    const std::size_t first = static_cast<std::size_t>(fraction * double(size()));
    std::vector<bool> in_first(size(), false);
    for (std::size_t k = 0; k < first; ++k) in_first[order[k]] = true;
    return {subset([&](std::size_t i) { return bool(in_first[i]); }),
            subset([&](std::size_t i) { return !in_first[i]; })};
  }

private:
  std::vector<T> inputs_, targets_;
};

/// Per-feature z-scoring, fitted on one dataset (the training split) and applied to others.
template <class T>
class standardizer {
public:
  /// Mean and population standard deviation (as numpy's std) of each input feature.
  template <class D>
  static standardizer fit(const D& data) {
    if (data.empty()) throw std::invalid_argument("ctnn::standardizer::fit: the dataset is empty");
    standardizer s;
    const std::size_t f = D::input_size;
    s.mean_.assign(f, T(0));
    s.scale_.assign(f, T(0));
    std::vector<double> sum(f), sq(f);
    for (std::size_t i = 0; i < data.size(); ++i)
      for (std::size_t k = 0; k < f; ++k) {
        sum[k] += data.input(i)[k];
        sq[k] += double(data.input(i)[k]) * data.input(i)[k];
      }
    const double n = double(data.size());
    for (std::size_t k = 0; k < f; ++k) {
      const double m = sum[k] / n;
      const double sd = std::sqrt(std::max(0.0, sq[k] / n - m * m));
      s.mean_[k] = T(m);
      s.scale_[k] = T(sd > 0 ? 1.0 / sd : 1.0); // constant feature: centre only
    }
    return s;
  }
  /// x <- (x - mean) / std for every sample of data.
  template <class D>
  void apply(D& data) const {
    if (mean_.size() != D::input_size)
      throw std::invalid_argument("ctnn::standardizer::apply: fitted on " + std::to_string(mean_.size()) +
                                  " features, the dataset has " + std::to_string(D::input_size));
    for (std::size_t i = 0; i < data.size(); ++i)
      for (std::size_t k = 0; k < D::input_size; ++k) data.input(i)[k] = (data.input(i)[k] - mean_[k]) * scale_[k];
  }
  const std::vector<T>& mean() const noexcept { return mean_; }

private:
  std::vector<T> mean_, scale_;
};

} // namespace CTNN_NAMESPACE
