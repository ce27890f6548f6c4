// evaluate(net, data, loss): the loss and metrics of a network on a dataset (batched inference,
// no trainer, no optimizer), as trainer::evaluate and the validation of each epoch compute them.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/dsl/diag.hpp>
#include <ctnn/runtime/network.hpp>
#include <ctnn/train/checks.hpp>
#include <ctnn/train/head_losses.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/metrics.hpp>
#include <ctnn/train/report.hpp>

#include <algorithm>
#include <cstddef>

namespace CTNN_NAMESPACE {

namespace detail {
/// The metrics a loss of `kind` adds (classification or regression) over `out` outputs: rows of
/// y (stride ldy) against targets (stride ldt), one row at a time.
template <task Kind, std::size_t Out>
struct metrics_of {
  static constexpr bool multi_label = Kind == task::binary && Out != 1; // no confusion matrix
  metric_accumulator acc{Kind, Out};
  template <class T>
  void add(const T* y, std::size_t ldy, const T* t, std::size_t ldt, std::size_t n) noexcept {
    if constexpr (!multi_label)
      for (std::size_t r = 0; r < n; ++r) acc.add(y + r * ldy, ldy, t + r * ldt, ldt, 1);
  }
  void finish(evaluation& e) {
    if constexpr (!multi_label) {
      e.classification = acc.classification();
      e.regression = acc.regression();
    }
  }
};

/// Each head's evaluation from its sums over n samples (loss::heads).
template <class Loss>
std::vector<evaluation> head_evaluations(const loss::detail::head_sums* sums, std::size_t n) {
  std::vector<evaluation> heads(Loss::head_count);
  for (std::size_t h = 0; h < Loss::head_count; ++h)
    heads[h] = {sums[h].loss / double(n), Loss::finish_head_metric(h, sums[h].metric, n)};
  return heads;
}

/// Loss and metrics of `network` on data whose targets were validated: inference only, in its
/// own workspace of at most 256 rows. (Loss: bound to the network, bound_loss_t.)
template <class Net, class Loss, class Dataset>
evaluation evaluate_rows(const Net& network, const Loss& loss, const Dataset& data) {
  using T = typename Net::value_type;
  auto ws = network.make_inference_workspace(std::min<std::size_t>(data.size(), 256));
  double loss_sum = 0, metric_sum = 0;
  metrics_of<Loss::kind, Net::output_size> metrics;
  constexpr std::size_t heads = [] {
    if constexpr (per_head_loss<Loss>)
      return Loss::head_count;
    else
      return std::size_t(0);
  }();
  std::array<loss::detail::head_sums, heads> head_sums{};
  auto head_metrics = [] {
    if constexpr (per_head_loss<Loss>) return [&]<std::size_t... H>(std::index_sequence<H...>) {
        return std::tuple<metrics_of<Loss::kinds[H], Loss::out_sizes[H]>...>{};
      }
    (std::make_index_sequence<heads>{});
    else return std::tuple<>{};
  }();
  for (std::size_t at = 0; at < data.size(); at += ws.capacity()) {
    const std::size_t n = std::min(ws.capacity(), data.size() - at);
    const T* y = network.forward_batch(ws, data.input(at), n);
    const T* t = data.target(at);
    loss_sum +=
        double(loss.value_and_gradient(y, Net::output_stride, t, Net::output_size, static_cast<T*>(nullptr), n)) *
        double(n);
    metric_sum += loss.metric_sum(y, Net::output_stride, t, Net::output_size, n);
    if constexpr (per_head_loss<Loss>) {
      loss.add_head_sums(y, Net::output_stride, t, n, head_sums.data());
      [&]<std::size_t... H>(std::index_sequence<H...>) {
        (std::get<H>(head_metrics)
             .add(y + Loss::template out_start<H>, Net::output_stride, t + Loss::template target_start<H>,
                  Loss::target_size, n),
         ...);
      }
      (std::make_index_sequence<heads>{});
    } else {
      metrics.add(y, Net::output_stride, t, Dataset::target_size, n);
    }
  }
  evaluation e{loss_sum / double(data.size()), Loss::finish_metric(metric_sum, data.size(), Net::output_size)};
  if constexpr (per_head_loss<Loss>) {
    e.heads = head_evaluations<Loss>(head_sums.data(), data.size());
    [&]<std::size_t... H>(std::index_sequence<H...>) { (std::get<H>(head_metrics).finish(e.heads[H]), ...); }
    (std::make_index_sequence<heads>{});
  } else {
    metrics.finish(e);
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
    return detail::evaluate_rows(n, detail::bound_loss<L, Net>::bind(loss), data);
  }
}

} // namespace CTNN_NAMESPACE
