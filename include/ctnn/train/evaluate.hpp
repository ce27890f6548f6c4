// evaluate(net, data, loss): the loss and metrics of a network on a dataset (batched inference,
// no trainer, no optimizer), as trainer::evaluate and the validation of each epoch compute them.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/runtime/network.hpp>
#include <ctnn/train/checks.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/metrics.hpp>
#include <ctnn/train/report.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE {

namespace detail {
/// Loss and metrics of `network` on data whose targets were validated: inference only, in its
/// own workspace of at most 256 rows.
template <class Net, class Loss, class Dataset>
evaluation evaluate_rows(const Net& network, const Loss& loss, const Dataset& data) {
  using T = typename Net::value_type;
  auto ws = network.make_inference_workspace(std::min<std::size_t>(data.size(), 256));
  double loss_sum = 0, metric_sum = 0;
  constexpr bool multi_label = Loss::kind == task::binary && Net::output_size != 1; // no confusion matrix
  metric_accumulator metrics(Loss::kind, Net::output_size);
  for (std::size_t at = 0; at < data.size(); at += ws.capacity()) {
    const std::size_t n = std::min(ws.capacity(), data.size() - at);
    const T* y = network.forward_batch(ws, data.input(at), n);
    if constexpr (!multi_label) metrics.add(y, Net::output_stride, data.target(at), Dataset::target_size, n);
    loss_sum += double(loss.value_and_gradient(y, Net::output_stride, data.target(at), Net::output_size,
                                               static_cast<T*>(nullptr), n)) *
                double(n);
    metric_sum += loss.metric_sum(y, Net::output_stride, data.target(at), Net::output_size, n);
  }
  evaluation e{loss_sum / double(data.size()), Loss::finish_metric(metric_sum, data.size(), Net::output_size)};
  if constexpr (!multi_label) {
    e.classification = metrics.classification();
    e.regression = metrics.regression();
  }
  return e;
}
} // namespace detail

/// Loss and metrics of `n` on `data` under `loss`, without a trainer or an optimizer: what
/// trainer::evaluate returns (accuracy, precision, recall, F1 and the confusion matrix for
/// classification losses; RMSE and MAE for regression ones). Throws std::invalid_argument for an
/// empty dataset, a non-finite input or a target the loss cannot take (naming the sample).
template <class M, class U, class D, class L>
evaluation evaluate(const net<M, U>& n, const D& data, const L& loss) {
  using Net = net<M, U>;
  // the one diagnostic of a network the loss cannot be used with, as for a trainer
  using checked = typename diag::trainer_report<typename decltype(detail::check_trainable<Net, L>())::type>::type;
  static_assert(sizeof(checked*) > 0);
  if constexpr (!detail::dataset_fits<Net, L, D>()) {
    return {};
  } else {
    detail::validate_dataset<Net, L>(data, "evaluate", "evaluation");
    return detail::evaluate_rows(n, loss, data);
  }
}

} // namespace CTNN_NAMESPACE
