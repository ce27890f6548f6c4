// Predictions over a whole dataset: the network's outputs, class probabilities and predicted
// classes, batched through a workspace.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace CTNN_NAMESPACE {

/// The outputs of `n` for every sample of `data` (any dataset with inputs of the network's
/// shape), in order.
template <class Model, class T, class Dataset>
std::vector<typename net<Model, T>::output_type> predict(const net<Model, T>& n, const Dataset& data) {
  static_assert(Dataset::input_size == net<Model, T>::input_size, "ctnn::predict: the dataset's inputs are not the network's");
  std::vector<typename net<Model, T>::output_type> out(data.size());
  constexpr std::size_t chunk = 256;
  auto ws = n.make_workspace(std::min<std::size_t>(chunk, std::max<std::size_t>(data.size(), 1)));
  for (std::size_t at = 0; at < data.size(); at += chunk) {
    const std::size_t m = std::min(chunk, data.size() - at);
    const T* y = n.forward_batch(ws, data.input(at), m);
    for (std::size_t r = 0; r < m; ++r)
      std::copy_n(y + r * net<Model, T>::output_stride, net<Model, T>::output_size, out[at + r].data());
  }
  return out;
}

/// Class probabilities for a classifier whose outputs are logits: softmax over the outputs, or,
/// for a single output (a binary classifier trained with bce_with_logits), the sigmoid.
template <class Model, class T, class Dataset>
std::vector<typename net<Model, T>::output_type> predict_probabilities(const net<Model, T>& n, const Dataset& data) {
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
template <class Model, class T, class Dataset>
std::vector<std::size_t> predict_classes(const net<Model, T>& n, const Dataset& data) {
  const auto out = predict(n, data);
  std::vector<std::size_t> classes(out.size());
  for (std::size_t i = 0; i < out.size(); ++i)
    classes[i] = out[i].size() == 1 ? std::size_t(out[i][0] > T(0))
                                    : std::size_t(std::max_element(out[i].begin(), out[i].end()) - out[i].begin());
  return classes;
}

} // namespace ctnn
