// trainer: mini-batch training of a net with a loss and an optimizer: deterministic shuffling,
// epochs, validation, early stopping that restores the best weights, divergence detection.
#pragma once

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/runtime/network.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace ctnn {

/// Stop when the monitored loss (validation loss if a validation set is given, else the
/// training loss) has not improved by more than min_delta for `patience` epochs; the weights
/// of the best epoch are then restored. patience = 0 disables it.
struct early_stopping_options {
  std::size_t patience = 0;
  double min_delta = 0.0;
};

template <class Dataset>
struct train_options {
  std::size_t epochs = 10;
  std::size_t batch = 32;
  std::optional<std::reference_wrapper<const Dataset>> validation{};
  early_stopping_options early_stopping{};
  std::uint64_t seed = 0; ///< shuffling seed: the same seed gives the same run
  bool shuffle = true;
  std::ostream* log = &std::clog; ///< progress lines go here; nullptr for silence
  std::size_t log_every = 1;      ///< a progress line every this many epochs (and the last)
};

/// Loss and metric of a network on a dataset.
struct evaluation {
  double loss = 0;
  double metric = 0; ///< accuracy or RMSE, per the loss's metric_name
};

struct epoch_record {
  std::size_t epoch = 0; ///< 1-based
  evaluation train;
  std::optional<evaluation> validation;
  double samples_per_second = 0;
};

struct train_report {
  std::vector<epoch_record> history;
  std::string metric_name;
  std::size_t best_epoch = 0;  ///< epoch whose weights the network holds at the end (0: none)
  double best_loss = INFINITY; ///< the monitored loss at best_epoch
  bool stopped_early = false;
  bool diverged = false;  ///< a non-finite loss stopped training
  std::string divergence; ///< what happened, naming the epoch and step
};

namespace detail {
template <class Net, class Loss, class Dataset>
constexpr auto check_training_data() noexcept {
  using out = typename Net::output_shape;
  using expected = typename Loss::template expected_target<out>;
  using target = typename Dataset::target_shape;
  if constexpr (!std::is_same_v<typename Dataset::input_shape, typename Net::input_shape>)
    return std::type_identity<diag::dataset_input_mismatch<diag::network_input<typename Net::input_shape>,
                                                           diag::dataset_input<typename Dataset::input_shape>>>{};
  else if constexpr (!std::is_same_v<expected, target>)
    return std::type_identity<
        diag::loss_target_mismatch<Loss, diag::network_output<out>, diag::target<target>, diag::expects<expected>>>{};
  else
    return std::type_identity<diag::no_error>{};
}
} // namespace detail

/// Trains `net` in place. `trainer fit{net, loss::mse{}, optim::adam{.lr = 1e-3f}};`
/// The trainer keeps gradients, optimizer state and a workspace, allocated when a batch size is
/// first seen (reserve); step() is noexcept and allocation-free afterwards.
template <class Net, class Loss, class Optim>
class trainer {
public:
  using value_type = typename Net::value_type;
  using T = value_type;

  trainer(Net& network, Loss loss, Optim optimizer)
      : net_(&network), loss_(loss), optim_(optimizer), grads_(Net::param_size),
        state_(Optim::template state_size<T>(Net::param_size)) {}

  Net& network() noexcept { return *net_; }
  const Optim& optimizer() const noexcept { return optim_; }
  /// Optimizer steps taken so far.
  std::int64_t steps() const noexcept { return steps_; }

  /// Makes room for batches of up to `batch` samples (allocates; idempotent).
  void reserve(std::size_t batch, std::size_t target_size) {
    if (ws_.capacity() < batch) {
      ws_ = net_->make_workspace(batch);
      targets_ = aligned_buffer<T>(batch * target_size);
    }
  }

  /// What one step did: the batch loss, and whether the update was applied (it is not when the
  /// loss or any gradient is NaN or infinite: the weights then stay those of the last good step).
  struct step_result {
    T loss;
    bool finite_loss;
    bool finite_gradients;
    bool applied() const noexcept { return finite_loss && finite_gradients; }
  };

  /// One optimizer step on n <= capacity samples already placed in work().input() and targets().
  step_result step(std::size_t n) noexcept {
    const T* y = net_->forward_train(ws_, ws_.input(), n);
    last_outputs_ = y;
    const T l =
        Loss::value_and_gradient(y, Net::output_stride, targets_.data(), Net::output_size, ws_.output_gradient(), n);
    if (!std::isfinite(l)) return {l, false, false};
    std::fill(grads_.begin(), grads_.end(), T(0));
    net_->backward(ws_, ws_.input(), n, grads_.data());
    // A finite loss can still come with infinite gradients (e.g. an infinite input into a
    // saturating activation); updating with them would silently corrupt every weight.
    if (!all_finite<Net::param_size>(grads_.data())) return {l, true, false};
    optim_.step(net_->parameters().data(), grads_.data(), state_.data(), Net::param_size, ++steps_);
    return {l, true, true};
  }
  workspace<T>& work() noexcept { return ws_; }
  T* targets() noexcept { return targets_.data(); }

  /// Loss and metric of the network on data (batched inference, no update).
  template <class Dataset>
  evaluation evaluate(const Dataset& data) {
    if constexpr (!fits<Dataset>()) {
      return {};
    } else {
      const std::size_t chunk = std::max<std::size_t>(ws_.capacity(), std::min<std::size_t>(data.size(), 256));
      reserve(chunk, Dataset::target_size);
      double loss_sum = 0, metric_sum = 0;
      for (std::size_t at = 0; at < data.size(); at += ws_.capacity()) {
        const std::size_t n = std::min(ws_.capacity(), data.size() - at);
        const T* y = net_->forward_batch(ws_, data.input(at), n);
        loss_sum += double(Loss::value_and_gradient(y, Net::output_stride, data.target(at), Net::output_size,
                                                    static_cast<T*>(nullptr), n)) *
                    double(n);
        metric_sum += Loss::metric_sum(y, Net::output_stride, data.target(at), Net::output_size, n);
      }
      const std::size_t count = std::max<std::size_t>(data.size(), 1);
      return {loss_sum / double(count), Loss::finish_metric(metric_sum, count, Net::output_size)};
    }
  }

  /// Trains for opts.epochs epochs of mini-batches (see train_options). Throws
  /// std::invalid_argument, before touching the network, for an empty dataset, a zero batch
  /// size or a target the loss cannot take (naming the sample).
  template <class Dataset>
  train_report train(const Dataset& data, const train_options<Dataset>& opts = {}) {
    if constexpr (!fits<Dataset>()) {
      return {};
    } else {
      validate(data, "training");
      if (opts.validation) validate(opts.validation->get(), "validation");
      if (opts.batch == 0) throw std::invalid_argument("ctnn::trainer::train: batch size must be positive");
      const std::size_t batch = std::min(opts.batch, data.size());
      reserve(batch, Dataset::target_size);

      train_report report;
      report.metric_name = Loss::metric_name;
      std::vector<std::size_t> order(data.size());
      std::iota(order.begin(), order.end(), std::size_t{0});
      rng gen(opts.seed);
      aligned_buffer<T> best(opts.early_stopping.patience ? Net::param_size : 0);
      std::size_t since_best = 0;

      for (std::size_t epoch = 1; epoch <= opts.epochs; ++epoch) {
        if (opts.shuffle)
          for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[gen.below(i)]);
        const auto start = std::chrono::steady_clock::now();
        double loss_sum = 0, metric_sum = 0;
        std::size_t step_in_epoch = 0;
        for (std::size_t at = 0; at < order.size(); at += batch) {
          const std::size_t n = std::min(batch, order.size() - at);
          for (std::size_t r = 0; r < n; ++r) {
            std::copy_n(data.input(order[at + r]), Dataset::input_size, ws_.input() + r * Dataset::input_size);
            std::copy_n(data.target(order[at + r]), Dataset::target_size, targets_.data() + r * Dataset::target_size);
          }
          ++step_in_epoch;
          const step_result r = step(n);
          const T l = r.loss;
          if (!r.applied()) {
            std::ostringstream why;
            why << "training stopped: ";
            if (r.finite_loss)
              why << "the gradients became non-finite (loss " << l << ")";
            else
              why << "the loss became " << l;
            why << " at epoch " << epoch << ", step " << step_in_epoch << " (samples " << at << ".." << at + n - 1
                << " of the shuffled order); the weights of the last good step are kept";
            report.diverged = true;
            report.divergence = why.str();
            if (opts.log) *opts.log << report.divergence << '\n';
            return report;
          }
          loss_sum += double(l) * double(n);
          // outputs of this step's forward pass, before the update: a free running metric
          metric_sum += Loss::metric_sum(forward_outputs(), Net::output_stride, targets_.data(), Net::output_size, n);
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        epoch_record rec;
        rec.epoch = epoch;
        rec.train = {loss_sum / double(data.size()), Loss::finish_metric(metric_sum, data.size(), Net::output_size)};
        if (opts.validation) rec.validation = evaluate(opts.validation->get());
        rec.samples_per_second = seconds > 0 ? double(data.size()) / seconds : 0.0;
        report.history.push_back(rec);
        if (opts.log && (epoch % std::max<std::size_t>(opts.log_every, 1) == 0 || epoch == opts.epochs))
          print(*opts.log, rec, opts.epochs);

        const double monitored = rec.validation ? rec.validation->loss : rec.train.loss;
        if (monitored < report.best_loss - opts.early_stopping.min_delta) {
          report.best_loss = monitored;
          report.best_epoch = epoch;
          since_best = 0;
          if (best.size()) std::copy(net_->parameters().begin(), net_->parameters().end(), best.begin());
        } else if (opts.early_stopping.patience && ++since_best >= opts.early_stopping.patience) {
          report.stopped_early = true;
          break;
        }
      }
      if (best.size() && report.best_epoch) {
        std::copy(best.begin(), best.end(), net_->parameters().begin());
        if (opts.log && report.best_epoch != report.history.size())
          *opts.log << "restored the weights of epoch " << report.best_epoch << " (monitored loss " << report.best_loss
                    << ")\n";
      } else {
        report.best_epoch = report.history.empty() ? 0 : report.history.size();
      }
      return report;
    }
  }

private:
  /// Whether Dataset fits the network's input and the loss's target. Holds the one static_assert
  /// for a misfit (instantiated once per Dataset, however many members use it).
  template <class Dataset>
  static constexpr bool fits() noexcept {
    using diagnosis = typename decltype(detail::check_training_data<Net, Loss, Dataset>())::type;
    static_assert(diagnosis::ok, "ctnn: trainer: the dataset does not fit the network and the loss; the "
                                 "failed condition names the shapes");
    return diagnosis::ok;
  }

  /// Whether no element of p[0, N) is NaN or infinite (x * 0 is NaN exactly for those).
  template <std::size_t N>
  static bool all_finite(const T* p) noexcept {
    using V = kernels::simd<T>;
    constexpr std::size_t full = N / V::size * V::size;
    V acc(T(0));
    for (std::size_t i = 0; i < full; i += V::size) acc += V::load_aligned(p + i) * V(T(0));
    T tail = 0;
    if constexpr (full < N)
      for (std::size_t i = full; i < N; ++i) tail += p[i] * T(0);
    return std::isfinite(xsimd::hadd(acc) + tail);
  }

  // The outputs of the last step's forward pass (before its update) stay in the workspace.
  const T* forward_outputs() const noexcept { return last_outputs_; }

  template <class Dataset>
  static void validate(const Dataset& data, const char* which) {
    if (data.empty())
      throw std::invalid_argument(std::string("ctnn::trainer::train: the ") + which + " dataset is empty");
    for (std::size_t i = 0; i < data.size(); ++i)
      if (!Loss::template valid_target<T>(data.target(i), Net::output_size))
        throw std::invalid_argument(std::string("ctnn::trainer::train: ") + which + " sample " + std::to_string(i) +
                                    " has a target that " + Loss::name() + " cannot take (value " +
                                    std::to_string(double(data.target(i)[0])) + ")");
  }

  static void print(std::ostream& os, const epoch_record& r, std::size_t epochs) {
    const auto flags = os.flags();
    os << "epoch " << r.epoch << '/' << epochs << std::fixed << std::setprecision(4) << "  loss " << r.train.loss
       << "  " << Loss::metric_name << ' ' << r.train.metric;
    if (r.validation)
      os << "  val_loss " << r.validation->loss << "  val_" << Loss::metric_name << ' ' << r.validation->metric;
    os << std::setprecision(0) << "  " << r.samples_per_second << " samples/s\n";
    os.flags(flags);
  }

  Net* net_;
  Loss loss_;
  Optim optim_;
  aligned_buffer<T> grads_, state_, targets_;
  workspace<T> ws_;
  const T* last_outputs_ = nullptr;
  std::int64_t steps_ = 0;
};

} // namespace ctnn
