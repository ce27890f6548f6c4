// Predictions over a whole dataset: the network's outputs, class probabilities and predicted
// classes, batched through a workspace.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <span>
#include <vector>

namespace CTNN_NAMESPACE {

namespace detail {
/// What predict reads of a dataset: size(), input(i) and input_size.
template <class D>
concept input_rows = requires(const D& d, std::size_t i) {
  { d.size() } -> std::convertible_to<std::size_t>;
  {d.input(i)};
  D::input_size;
};
/// Input tensors gathered into rows, for predict over a span or a vector of them.
template <class T, std::size_t N>
struct gathered_inputs {
  static constexpr std::size_t input_size = N;
  std::vector<T> values;
  template <class Tensor>
  explicit gathered_inputs(std::span<const Tensor> xs) : values(xs.size() * N) {
    for (std::size_t i = 0; i < xs.size(); ++i) std::copy_n(xs[i].data(), N, values.data() + i * N);
  }
  std::size_t size() const noexcept { return values.size() / N; }
  const T* input(std::size_t i) const noexcept { return values.data() + i * N; }
};
} // namespace detail

/// The outputs of `n` for every sample of `data` (any dataset with inputs of the network's
/// shape), in order: what net(x) returns for each (a network with heads: a tuple per sample).
template <class Model, class T, detail::input_rows Dataset>
std::vector<typename net<Model, T>::output_type> predict(const net<Model, T>& n, const Dataset& data) {
  static_assert(Dataset::input_size == net<Model, T>::input_size,
                "ctnn::predict: the dataset's inputs are not the network's");
  std::vector<typename net<Model, T>::output_type> out(data.size());
  constexpr std::size_t chunk = 256;
  auto ws = n.make_inference_workspace(std::min<std::size_t>(chunk, std::max<std::size_t>(data.size(), 1)));
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    const std::size_t m = std::min(chunk, data.size() - at);
    const T* y = n.forward_batch(ws, data.input(at), m);
    for (std::size_t r = 0; r < m; ++r)
      out[at + r] = detail::outputs<T, typename Model::output_parts>::split(y + r * net<Model, T>::output_stride);
  }
  return out;
}

/// Class probabilities for a classifier whose outputs are logits: softmax over the outputs, or,
/// for a single output (a binary classifier trained with bce_with_logits), the sigmoid.
template <class Model, class T, detail::input_rows Dataset>
std::vector<typename net<Model, T>::output_type> predict_probabilities(const net<Model, T>& n, const Dataset& data) {
  static_assert(net<Model, T>::head_count == 1,
                "ctnn::predict_probabilities: the network has several heads; use predict and read each head");
  auto out = predict(n, data);
  for (auto& y : out) {
    if (y.size() == 1) {
      y[0] = T(1) / (T(1) + std::exp(-y[0]));
      continue;
    }
    const T m = *std::max_element(y.begin(), y.end());
    T sum = 0;
    for (auto& v : y) sum += (v = std::exp(v - m));
    for (auto& v : y) v /= sum;
  }
  return out;
}

/// The predicted class of each sample: the largest output, or, for a single output, 1 where the
/// logit is positive.
template <class Model, class T, detail::input_rows Dataset>
std::vector<std::size_t> predict_classes(const net<Model, T>& n, const Dataset& data) {
  static_assert(net<Model, T>::head_count == 1,
                "ctnn::predict_classes: the network has several heads; use predict and read each head");
  const auto out = predict(n, data);
  std::vector<std::size_t> classes(out.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    classes[i] = out[i].size() == 1 ? std::size_t(out[i][0] > T(0))
                                    : std::size_t(std::max_element(out[i].begin(), out[i].end()) - out[i].begin());
  return classes;
}

/// The same over inputs as tensors (a std::vector or a span of the network's input_type).
template <class Model, class T>
std::vector<typename net<Model, T>::output_type> predict(const net<Model, T>& n,
                                                         std::span<const typename net<Model, T>::input_type> xs) {
  return predict(n, detail::gathered_inputs<T, net<Model, T>::input_size>(xs));
}
template <class Model, class T>
std::vector<typename net<Model, T>::output_type>
predict_probabilities(const net<Model, T>& n, std::span<const typename net<Model, T>::input_type> xs) {
  return predict_probabilities(n, detail::gathered_inputs<T, net<Model, T>::input_size>(xs));
}
template <class Model, class T>
std::vector<std::size_t> predict_classes(const net<Model, T>& n,
                                         std::span<const typename net<Model, T>::input_type> xs) {
  return predict_classes(n, detail::gathered_inputs<T, net<Model, T>::input_size>(xs));
}

} // namespace CTNN_NAMESPACE
