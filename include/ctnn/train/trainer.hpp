// trainer: mini-batch training of a net with a loss and an optimizer: deterministic shuffling,
// epochs, validation, early stopping that restores the best weights, divergence detection,
// checkpoints, and steps on one core or split over two. It composes the rooms of train/:
//   options.hpp         train_options and the settings it holds
//   report.hpp          evaluation, epoch_record, train_report
//   checks.hpp          what is checked before training (compile time and run time)
//   update.hpp          one guarded parameter update (penalties, clipping, overflow rollback)
//   thread_policy.hpp   one thread or two, from measured step costs
//   early_stopping.hpp  the verdict on each epoch
//   checkpoint.hpp      the checkpoint file, written and read
//   progress.hpp        the progress line and the epoch lines
//   evaluate.hpp        loss and metrics on a dataset
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/runtime/network.hpp>
#include <ctnn/runtime/two_cores.hpp>
#include <ctnn/runtime/worker.hpp>
#include <ctnn/train/checkpoint.hpp>
#include <ctnn/train/checks.hpp>
#include <ctnn/train/early_stopping.hpp>
#include <ctnn/train/evaluate.hpp>
#include <ctnn/train/head_losses.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/optim.hpp>
#include <ctnn/train/options.hpp>
#include <ctnn/train/progress.hpp>
#include <ctnn/train/quantization_aware.hpp>
#include <ctnn/train/report.hpp>
#include <ctnn/train/schedule.hpp>
#include <ctnn/train/thread_policy.hpp>
#include <ctnn/train/update.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace CTNN_NAMESPACE {

/// Trains `net` in place. `trainer fit{net, loss::mse{}, optim::adam{.lr = 1e-3f}};`
/// The trainer keeps gradients, optimizer state and a workspace, allocated when a batch size is
/// first seen (reserve); step() is noexcept and allocation-free afterwards.
template <class Net, class Loss, class Optim>
class trainer {
  // One diagnostic, from diag::trainer_report, for a network that cannot be trained with Loss.
  using checked = typename diag::trainer_report<typename decltype(detail::check_trainable<Net, Loss>())::type>::type;

public:
  using value_type = typename Net::value_type;
  using T = value_type;

  /// The loss and the optimizer are kept by value (a loss may have settings, as huber's delta).
  trainer(Net& network, Loss loss, Optim optimizer)
      : net_(&network), loss_(detail::bound_loss<Loss, Net>::bind(loss)), update_(network, optimizer),
        grads_(Net::param_size) {}

  Net& network() noexcept { return *net_; }
  const Optim& optimizer() const noexcept { return update_.optimizer(); }
  /// The optimizer's settings, to change between steps or epochs (lr, momentum, ...): its state
  /// (moments, momentum buffers) and the step count are kept.
  Optim& optimizer() noexcept { return update_.optimizer(); }
  /// Optimizer steps taken so far.
  std::int64_t steps() const noexcept { return update_.steps(); }

  /// Frees the batch buffers (the workspace and the targets, sized by the largest batch so far):
  /// after training at a large batch, before a long phase of inference. The next train(), resume()
  /// or reserve() allocates them again. (evaluate() and predict() never use them: they reserve
  /// only what inference needs.)
  void release() {
    ws_ = workspace<T>{};
    targets_ = aligned_buffer<T>{};
  }
  /// Bytes the batch buffers hold now (see release()).
  std::size_t reserved_bytes() const noexcept { return ws_.bytes() + targets_.size() * sizeof(T); }

  /// Makes room for batches of up to `batch` samples (allocates; idempotent).
  void reserve(std::size_t batch, std::size_t target_size) {
    target_size_ = target_size;
    if (ws_.capacity() < batch || targets_.size() < batch * target_size) {
      ws_ = net_->make_workspace(batch);
      targets_ = aligned_buffer<T>(batch * target_size);
    }
  }

  /// Trains on `threads` cores (1 or 2): with 2, this thread and a helper thread share each step
  /// (net::forward_train_shared): wide layers split by output columns, each core owning one
  /// panel of their weights, gradients and optimizer state; narrow layers split by samples,
  /// their gradients added. Results equal one thread's up to float reassociation. With
  /// `adaptive` (the default) the trainer times both ways, re-probing the slower one in short
  /// bursts, and runs the faster (train/thread_policy.hpp): when the second core is busy it falls
  /// back to one thread. Allocates (the helper thread, a gradient buffer): call it off the hot
  /// path.
  void set_threads(std::size_t threads, bool adaptive = true) {
    if (threads != 1 && threads != 2) throw std::invalid_argument("ctnn::trainer::set_threads: 1 or 2 threads");
    if (threads == 2 && !helper_) {
      helper_ = std::make_unique<worker>();
      grads2_ = aligned_buffer<T>(Net::param_size);
    } else if (threads == 1) {
      helper_.reset();
    }
    policy_.reset(adaptive);
    if (helper_) helper_->keep_spinning(spinning_ = policy_.split_mode()); // adaptive starts on one thread
  }
  std::size_t threads() const noexcept { return helper_ ? 2 : 1; }

  /// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_(max_norm): when the L2
  /// norm of all gradients together exceeds max_norm, every gradient is multiplied by
  /// max_norm / (norm + 1e-6) before the update. Recurrent networks need it (exploding
  /// gradients through time). 0 (the default) turns it off.
  void set_clip_grad_norm(double max_norm) { update_.set_clip_grad_norm(max_norm); }
  double clip_grad_norm() const noexcept { return update_.clip_grad_norm(); }
  /// Gradient clipping by value, as torch.nn.utils.clip_grad_value_(clip_value): every gradient
  /// clamped to [-clip_value, clip_value] before the update (before clipping by norm, if both
  /// are on). 0 (the default) turns it off.
  void set_clip_grad_value(double clip_value) { update_.set_clip_grad_value(clip_value); }
  double clip_grad_value() const noexcept { return update_.clip_grad_value(); }
  /// L1 and L2 penalties on every parameter (weights and biases), added to the loss:
  /// loss + l1 sum |w| + l2 sum w^2, hence gradients + l1 sign(w) + 2 l2 w (as adding the terms
  /// to the loss in PyTorch). Beside the optimizers' weight_decay (L2 in the gradient: sgd and
  /// adam; decoupled: adamw). The step's reported loss includes them. Buffers (batch_norm's
  /// running statistics) are not parameters: no penalty applies to them.
  void set_regularization(const regularization& r) { update_.set_regularization(r); }
  /// The penalties of one layer only (I: its position in network<...>, input<> being 0), e.g.
  /// fit.set_regularization<1>({.l2 = 1e-3}) for the first dense layer; the other layers keep
  /// theirs. A layer without parameters of its own is a compile error naming it.
  template <std::size_t I>
  void set_regularization(const regularization& r) {
    using model = typename Net::model;
    if constexpr (I >= model::layer_count) {
      static_assert(diag::layer_index_out_of_range<diag::layer_index<I>,
                                                   diag::valid_layer_indices<0, model::layer_count - 1>>::ok,
                    "trainer::set_regularization<I>: I is past the last layer; the failed condition names the "
                    "valid indices (input<> is 0)");
    } else if constexpr (Net::stage_of_layer(I) == detail::npos || model::layer_params(I) == 0) {
      static_assert(diag::layer_has_no_parameters<diag::layer_index<I>, typename model::template layer<I>>::ok,
                    "trainer::set_regularization<I>: layer I has no parameters to penalize");
    } else {
      update_.set_stage_regularization(Net::stage_of_layer(I), r);
    }
  }
  /// The penalties set for the whole network (set_regularization(r)), and those of layer I.
  const regularization& regularization_terms() const noexcept { return update_.regularization_terms(); }
  template <std::size_t I>
  const regularization& regularization_terms() const noexcept {
    static_assert(I < Net::model::layer_count && Net::stage_of_layer(I) != detail::npos,
                  "trainer::regularization_terms<I>: layer I has no parameters");
    return update_.stage_regularization(Net::stage_of_layer(I));
  }
  /// The global gradient norm of the last step, before clipping (0 until a step with clipping on).
  double last_grad_norm() const noexcept { return update_.last_grad_norm(); }
  /// What the adaptive two-thread mode measured: nanoseconds per sample of a step on one thread
  /// and split over two (moving averages; 0 until measured).
  std::pair<double, double> step_costs() const noexcept { return policy_.costs(); }

  /// What one step did: the batch loss, and whether the update was applied. It is not when the
  /// loss or any gradient is NaN or infinite, nor when the update itself overflowed a parameter
  /// or the optimizer state (it is then rolled back): the weights and optimizer state stay those
  /// of the last good step.
  struct step_result {
    T loss;
    bool finite_loss;
    bool finite_gradients;
    bool finite_update = true;
    bool applied() const noexcept { return finite_loss && finite_gradients && finite_update; }
  };

  /// One optimizer step on n <= capacity samples already placed in work().input() and targets().
  /// If you change the network's parameters yourself between steps, call parameters_changed()
  /// first (the step's overflow guard bounds the weights from the last step's).
  step_result step(std::size_t n) noexcept {
    // dropout masks of this step
    ws_.set_noise_seed(noise_seed_ + std::uint64_t(update_.steps()) * 0x9e3779b97f4a7c15ull);
    const bool split = helper_ && !qat_ && policy_.use_split(n);
    const auto start = std::chrono::steady_clock::now();
    const step_result r = split ? step_split(n) : step_whole(n);
    if (r.applied()) net_->update_buffers(ws_, n); // batch_norm's running statistics
    if (helper_ && r.applied())
      policy_.record(split, std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() /
                                double(n));
    if (helper_ && spinning_ != policy_.split_mode()) // an idle helper must not take the core from others
      helper_->keep_spinning(spinning_ = policy_.split_mode());
    return r;
  }
  /// Quantization-aware training on or off (see train_options::quantization_aware). Throws
  /// std::invalid_argument for a network neither ctnn::quantize nor ctnn::quantize_sparse takes.
  void set_quantization_aware(bool on) {
    constexpr std::size_t bad = detail::first_without_integer_form<typename Net::model>();
    if (on && bad != 0)
      throw std::invalid_argument("quantization_aware: layer " + std::to_string(bad) +
                                  " has no integer form (ctnn::quantize takes dense, conv1d and conv2d, max pools "
                                  "and relu; ctnn::quantize_sparse dense layers with hardtanh_range<0, 1>)");
    qat_ = on;
    if (on && master_.size() != Net::param_size) master_ = aligned_buffer<T>(Net::param_size);
  }
  bool quantization_aware() const noexcept { return qat_; }
  /// Forgets what the trainer knows of the parameters' magnitudes (see step()).
  void parameters_changed() noexcept { update_.parameters_changed(); }
  workspace<T>& work() noexcept { return ws_; }
  T* targets() noexcept { return targets_.data(); }

  /// Loss and metric of the network on data (batched inference, no update). Throws
  /// std::invalid_argument, as train does, for an empty dataset or a target the loss cannot take
  /// (naming the sample).
  template <class Dataset>
  evaluation evaluate(const Dataset& data) {
    if constexpr (!detail::dataset_fits<Net, Loss, Dataset>()) {
      return {};
    } else {
      detail::validate_dataset<Net, Loss>(data, "evaluate", "evaluation");
      return detail::evaluate_rows(*net_, loss_, data);
    }
  }

  /// Trains for opts.epochs epochs of mini-batches (see train_options). Throws
  /// std::invalid_argument, before touching the network, for an empty dataset, a zero batch
  /// size or a target the loss cannot take (naming the sample).
  template <class Dataset>
  train_report train(const Dataset& data, const train_options<Dataset>& opts = {}) {
    if constexpr (!detail::dataset_fits<Net, Loss, Dataset>()) {
      return {};
    } else {
      check_run(data, opts, "train");
      apply_run_options(opts);
      run_state st(opts.seed);
      st.order.resize(data.size());
      std::iota(st.order.begin(), st.order.end(), std::size_t{0});
      noise_seed_ = opts.seed * 0xd1b54a32d192ed03ull + 1; // dropout masks: from the seed and the step count
      st.base_lr = optimizer().lr;
      st.lr_state = schedule::start(opts.schedule, st.base_lr);
      parameters_changed(); // the network may have been changed since the last call
      return run(data, opts, st);
    }
  }

  /// Continues the run whose checkpoint (train_options::checkpoint) is at `path`, up to
  /// opts.epochs epochs in all, with the same data and options: the network, the optimizer's
  /// state and step count, the learning-rate schedule, the shuffling generator and order, the
  /// dropout masks' seed, early stopping's best weights and the history are those of the
  /// checkpoint, so that an interrupted and resumed run ends bit-identical to an uninterrupted
  /// one (same build, same threads). The report holds the whole history. Throws file_error,
  /// changing nothing, for a checkpoint of another topology, scalar type, optimizer, loss or
  /// dataset size, or a damaged file.
  template <class Dataset>
  train_report resume(const std::string& path, const Dataset& data, const train_options<Dataset>& opts = {}) {
    if constexpr (!detail::dataset_fits<Net, Loss, Dataset>()) {
      return {};
    } else {
      check_run(data, opts, "resume");
      // read and checked completely before anything changes
      const auto c = detail::read_checkpoint<Net, T>(path, data.size(), Optim::name(), Loss::name(), Optim::slots);
      const bool has_best = !c.best.empty();
      if (bool(opts.early_stopping.patience) != has_best)
        throw std::invalid_argument("ctnn::trainer::resume: " + path + " was written by a run " +
                                    (has_best ? "with" : "without") + " early stopping, and this resume " +
                                    (has_best ? "has none" : "has it") +
                                    ": resume with the checkpointed run's train_options (early_stopping.patience " +
                                    (has_best ? "> 0" : "0") + ")");
      apply_run_options(opts);
      run_state st(0);
      install(c, st);
      return run(data, opts, st);
    }
  }

private:
  /// What a run carries from epoch to epoch (and a checkpoint saves).
  struct run_state {
    explicit run_state(std::uint64_t seed) : gen(seed) {}
    std::size_t epochs_done = 0;
    rng gen;
    std::vector<std::size_t> order;
    std::size_t since_best = 0;
    aligned_buffer<T> best{}; ///< early stopping's best weights (stored layout), if patience
    bool best_held = false;   ///< best holds the weights of report.best_epoch (never install others)
    double base_lr = 0;
    schedule::state lr_state{};
    train_report report;
  };

  /// What train and resume check before touching anything (throws std::invalid_argument).
  template <class Dataset>
  void check_run(const Dataset& data, const train_options<Dataset>& opts, const char* what) const {
    detail::validate_dataset<Net, Loss>(data, what, "training");
    if (opts.validation) detail::validate_dataset<Net, Loss>(opts.validation->get(), what, "validation");
    if (opts.batch == 0)
      throw std::invalid_argument(std::string("ctnn::trainer::") + what + ": batch size must be positive");
    if (opts.threads > 2)
      throw std::invalid_argument(std::string("ctnn::trainer::") + what + ": train_options::threads is " +
                                  std::to_string(opts.threads) + "; use 0 (as set_threads left it), 1 or 2");
    update_.validate_optimizer(); // its settings may have changed through optimizer()
    schedule::validate(opts.schedule);
  }
  /// The options that set the trainer itself (threads, clipping).
  template <class Dataset>
  void apply_run_options(const train_options<Dataset>& opts) {
    set_quantization_aware(opts.quantization_aware);
    if (opts.threads != 0 && opts.threads != threads()) set_threads(opts.threads);
    if (opts.clip_grad_norm > 0) set_clip_grad_norm(opts.clip_grad_norm);
    if (opts.clip_grad_value > 0) set_clip_grad_value(opts.clip_grad_value);
  }

  /// Epochs from st.epochs_done + 1 to opts.epochs, then the best weights restored.
  template <class Dataset>
  train_report run(const Dataset& data, const train_options<Dataset>& opts, run_state& st) {
    reserve(std::min(opts.batch, data.size()), Dataset::target_size);
    st.report.metric_name = loss_type::metric_name;
    if constexpr (detail::per_head_loss<loss_type>)
      st.report.head_metric_names.assign(loss_type::metric_names.begin(), loss_type::metric_names.end());
    if (opts.early_stopping.patience && !st.best.size()) st.best = aligned_buffer<T>(Net::param_size);
    for (std::size_t epoch = st.epochs_done + 1; epoch <= opts.epochs; ++epoch) {
      optimizer().lr = st.lr_state.lr;
      if (opts.shuffle)
        for (std::size_t i = st.order.size(); i > 1; --i) std::swap(st.order[i - 1], st.order[st.gen.below(i)]);
      const epoch_record rec = run_epoch(data, opts, st, epoch);
      if (st.report.diverged) return st.report;
      if (!end_epoch(opts, st, rec)) break;
    }
    restore_best(opts, st);
    return st.report;
  }

  /// One epoch of mini-batches over st.order: its record (train loss and metric, validation,
  /// speed, lr), or a report that says training diverged (st.report.diverged).
  template <class Dataset>
  epoch_record run_epoch(const Dataset& data, const train_options<Dataset>& opts, run_state& st, std::size_t epoch) {
    const std::size_t batch = std::min(opts.batch, data.size());
    const std::vector<std::size_t>& order = st.order;
    const auto start = std::chrono::steady_clock::now();
    double loss_sum = 0, metric_sum = 0;
    head_sums heads{}; // each head's (loss::heads)
    std::size_t step_in_epoch = 0, seen = 0;
    detail::progress_bar bar(opts.log, epoch, opts.epochs);
    for (std::size_t at = 0; at < order.size(); at += batch) {
      const std::size_t n = std::min(batch, order.size() - at);
      for (std::size_t r = 0; r < n; ++r) {
        std::copy_n(data.input(order[at + r]), Dataset::input_size, ws_.input() + r * Dataset::input_size);
        std::copy_n(data.target(order[at + r]), Dataset::target_size, targets_.data() + r * Dataset::target_size);
      }
      ++step_in_epoch;
      const step_result r = step(n);
      if (!r.applied()) {
        if (bar) bar.clear();
        report_divergence(opts, st.report, r, epoch, step_in_epoch, at, n);
        return {};
      }
      loss_sum += double(r.loss) * double(n);
      // outputs of this step's forward pass, before the update: a free running metric
      metric_sum += loss_.metric_sum(last_outputs_, Net::output_stride, targets_.data(), Net::output_size, n);
      if constexpr (detail::per_head_loss<loss_type>)
        loss_.add_head_sums(last_outputs_, Net::output_stride, targets_.data(), n, heads.data());
      seen = at + n;
      if (bar) bar.update(at + n, order.size(), loss_sum / double(at + n), start);
      if (opts.on_step && !opts.on_step(step_info{epoch, step_in_epoch, n, double(r.loss), optimizer().lr})) {
        st.report.stopped_by_callback = true;
        break;
      }
    }
    if (bar) bar.clear();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    epoch_record rec;
    rec.epoch = epoch;
    // (a callback may have stopped the epoch early: the means are over the samples seen)
    rec.train = {loss_sum / double(seen), loss_type::finish_metric(metric_sum, seen, Net::output_size)};
    if constexpr (detail::per_head_loss<loss_type>)
      rec.train.heads = detail::head_evaluations<loss_type>(heads.data(), seen);
    if (opts.validation) rec.validation = detail::evaluate_rows(*net_, loss_, opts.validation->get());
    rec.samples_per_second = seconds > 0 ? double(data.size()) / seconds : 0.0;
    rec.lr = optimizer().lr;
    return rec;
  }

  /// After an epoch: its record kept and printed, the schedule advanced, early stopping's
  /// verdict, a checkpoint. Returns whether training goes on.
  template <class Dataset>
  bool end_epoch(const train_options<Dataset>& opts, run_state& st, const epoch_record& rec) {
    train_report& report = st.report;
    const std::size_t epoch = rec.epoch;
    report.history.push_back(rec);
    if (opts.log && (epoch % std::max<std::size_t>(opts.log_every, 1) == 0 || epoch == opts.epochs))
      detail::print_epoch(*opts.log, rec, opts.epochs, loss_type::metric_name, report.head_metric_names);
    if (report.stopped_by_callback) return false; // in the middle of an epoch: no checkpoint of it

    const double monitored = rec.validation ? rec.validation->loss : rec.train.loss;
    schedule::advance(opts.schedule, st.lr_state, st.base_lr, epoch - 1, monitored);
    switch (detail::judge_epoch(opts.early_stopping, monitored, report.best_loss, st.since_best)) {
    case detail::epoch_verdict::improved:
      report.best_loss = monitored;
      report.best_epoch = epoch;
      if (st.best.size()) {
        std::copy(net_->parameters().begin(), net_->parameters().end(), st.best.begin());
        st.best_held = true;
      }
      break;
    case detail::epoch_verdict::stop:
      report.stopped_early = true;
      break;
    case detail::epoch_verdict::not_improved:
      break;
    }
    st.epochs_done = epoch;
    if (!opts.checkpoint.path.empty() &&
        (epoch % std::max<std::size_t>(opts.checkpoint.every, 1) == 0 || epoch == opts.epochs || report.stopped_early))
      save_checkpoint(opts.checkpoint.path, st);
    if (report.stopped_early) return false;
    if (opts.on_epoch && !opts.on_epoch(rec)) {
      report.stopped_by_callback = true;
      return false;
    }
    return true;
  }

  /// Early stopping's best weights back into the network (or the last epoch named the best).
  template <class Dataset>
  void restore_best(const train_options<Dataset>& opts, run_state& st) {
    train_report& report = st.report;
    if (st.best_held && report.best_epoch) {
      std::copy(st.best.begin(), st.best.end(), net_->parameters().begin());
      parameters_changed();
      if (opts.log && report.best_epoch != report.history.size())
        *opts.log << "restored the weights of epoch " << report.best_epoch << " (monitored loss " << report.best_loss
                  << ")\n";
    } else {
      report.best_epoch = report.history.empty() ? 0 : report.history.size();
    }
  }

  /// Says in the report (and the log) which step diverged and how.
  template <class Dataset>
  static void report_divergence(const train_options<Dataset>& opts, train_report& report, const step_result& r,
                                std::size_t epoch, std::size_t step_in_epoch, std::size_t at, std::size_t n) {
    std::ostringstream why;
    why << "training stopped: ";
    if (!r.finite_loss)
      why << "the loss became " << r.loss;
    else if (!r.finite_gradients)
      why << "the gradients became non-finite (loss " << r.loss << ")";
    else
      why << "the update made parameters or optimizer state non-finite (loss " << r.loss
          << "; the update was rolled back)";
    why << " at epoch " << epoch << ", step " << step_in_epoch << " (samples " << at << ".." << at + n - 1
        << (opts.shuffle ? " of the shuffled order" : "") << "); the weights of the last good step are kept";
    report.diverged = true;
    report.divergence = why.str();
    if (opts.log) *opts.log << report.divergence << '\n';
  }

  // ---- checkpoints (train/checkpoint.hpp) ----

  void save_checkpoint(const std::string& path, const run_state& st) const {
    detail::checkpoint_data<T> c;
    auto logical = [](const T* stored) {
      std::vector<T> v(Net::value_count);
      Net::to_logical(stored, v.data());
      return v;
    };
    c.params = logical(net_->parameters().data());
    const std::size_t slot = update_.state().size() / Optim::slots;
    for (std::size_t k = 0; k < Optim::slots; ++k) {
      const auto s = logical(update_.state().data() + k * slot);
      c.state.insert(c.state.end(), s.begin(), s.end());
    }
    if (st.best.size()) c.best = logical(st.best.data());
    c.steps = update_.steps();
    c.bounds = update_.bounds();
    c.epochs_done = st.epochs_done;
    c.generator = st.gen.state();
    c.order = st.order;
    c.since_best = st.since_best;
    c.best_loss = st.report.best_loss;
    c.best_epoch = st.report.best_epoch;
    c.base_lr = st.base_lr;
    c.lr_state = st.lr_state;
    c.noise_seed = noise_seed_;
    c.history = st.report.history;
    detail::write_checkpoint<Net>(path, c, Optim::name(), Loss::name(), Optim::slots);
  }
  /// A checkpoint read and checked becomes the network, the optimizer's state and the run's.
  void install(const detail::checkpoint_data<T>& c, run_state& st) {
    Net::from_logical(c.params.data(), net_->parameters().data());
    aligned_buffer<T>& state = update_.state();
    std::fill(state.begin(), state.end(), T(0));
    const std::size_t slot = state.size() / Optim::slots;
    for (std::size_t k = 0; k < Optim::slots; ++k)
      Net::from_logical(c.state.data() + k * Net::value_count, state.data() + k * slot);
    update_.restore_progress(c.steps, c.bounds);
    noise_seed_ = c.noise_seed;
    st.epochs_done = c.epochs_done;
    st.gen = rng::from_state(c.generator);
    st.order = c.order;
    st.since_best = c.since_best;
    st.report.best_loss = c.best_loss;
    st.report.best_epoch = c.best_epoch;
    st.base_lr = c.base_lr;
    st.lr_state = c.lr_state;
    st.report.history = c.history;
    if (!c.best.empty()) {
      st.best = aligned_buffer<T>(Net::param_size);
      Net::from_logical(c.best.data(), st.best.data());
      st.best_held = st.report.best_epoch > 0;
    }
  }

  // ---- one step: gradients on one core or split over two, then the guarded update ----

  using update_type = detail::guarded_update<Net, Optim>;
  /// The loss bound to the network (loss::heads to its heads' shapes).
  using loss_type = detail::bound_loss_t<Loss, Net>;
  /// Each head's loss and metric sums over an epoch (none without loss::heads).
  using head_sums = std::array<loss::detail::head_sums, [] {
    if constexpr (detail::per_head_loss<loss_type>)
      return loss_type::head_count;
    else
      return std::size_t(0);
  }()>;
  using two_cores = detail::two_core_passes<typename Net::model, T>; // runtime/two_cores.hpp

  step_result step_whole(std::size_t n) noexcept {
    // quantization-aware: the passes see fake-quantized weights, the update goes to the float ones
    struct float_weights {
      trainer* t;
      bool held = false;
      void restore() noexcept {
        if (held) std::copy_n(t->master_.data(), Net::param_size, t->net_->parameters().data());
        held = false;
      }
      ~float_weights() { restore(); }
    } master{this};
    if (qat_) {
      std::copy_n(net_->parameters().data(), Net::param_size, master_.data());
      master.held = true;
      detail::fake_quantize_weights(*net_);
    }
    const T* y = net_->forward_train(ws_, ws_.input(), n);
    last_outputs_ = y;
    const T data_loss =
        loss_.value_and_gradient(y, Net::output_stride, targets_.data(), Net::output_size, ws_.output_gradient(), n);
    if (!std::isfinite(data_loss)) return {data_loss, false, false};
    net_->backward(ws_, ws_.input(), n, grads_.data(), kernels::store_mode::overwrite);
    master.restore();
    const auto o = update_.apply(grads_.data());
    return {T(data_loss + T(o.penalty)), true, o.finite_gradients, o.finite_update};
  }

  /// The same over two cores: this thread runs part 0 and the helper part 1 of one schedule
  /// (net::forward_train_shared / backward_shared), meeting at a barrier between stages. Wide
  /// layers split by output columns, so each core keeps its half of their weights, gradients
  /// and optimizer state in its own cache: only activations cross between cores. (The earlier
  /// split by samples gave each core a whole gradient to exchange and a whole weight matrix to
  /// re-read every step; on mnist_mlp that traffic ate the gain: 0.99x one thread.)
  step_result step_split(std::size_t n) noexcept {
    part p0{this, 0, n, update_.steps() + 1}, p1{this, 1, n, update_.steps() + 1};
    parts_[0] = &p0;
    parts_[1] = &p1;
    helper_->post(&run_part, &p1);
    run_part(&p0);
    helper_->wait();
    last_outputs_ = p0.outputs;
    const T data_loss = p0.loss + p1.loss;
    if (!std::isfinite(data_loss)) return {data_loss, false, false};
    const T l = data_loss + T(p0.penalty + p1.penalty);
    if (!std::isfinite(p0.g) || !std::isfinite(p1.g)) return {l, true, false};
    if (!p0.finite_update || !p1.finite_update) return {l, true, true, false};
    update_.commit(p0.guarded ? update_type::combine(p0.measured, p1.measured) : p0.next, p0.step);
    return {l, true, true};
  }

  struct part {
    trainer* self;
    unsigned core;
    std::size_t n;
    std::int64_t step;
    T loss = 0;         ///< this core's rows' share of the batch loss
    double g = NAN;     ///< max |g| over the ranges this core updates (NaN: not finite)
    double squares = 0; ///< sum of g^2 over them (for clipping by global norm)
    double penalty = 0; ///< the L1/L2 penalty of the parameters in them
    const T* outputs = nullptr;
    // the update (see guarded_update::apply): both cores take the same decision from the same bounds
    optim::bounds next{};               ///< bounds after the step (core 0's; core 1's are equal)
    bool guarded = false;               ///< the ranges were backed up and checked
    optim::bounds before{}, measured{}; ///< magnitudes of this core's ranges before and after the update
    bool finite_update = true;
  };

  /// One core's part of a split step: forward, the loss of its rows, backward, then the update
  /// of the parameters it owns, unless either core's loss or gradients are not finite.
  static void run_part(void* context) noexcept {
    auto& h = *static_cast<part*>(context);
    trainer& t = *h.self;
    update_type& u = t.update_;
    auto sync = [&t] { t.barrier_.arrive_and_wait(); };
    const T* x = t.ws_.input();
    const T* params = t.net_->parameters().data();
    const T* y = two_cores::forward_train_shared(params, t.ws_, x, h.n, h.core, sync);
    h.outputs = y;
    const std::size_t r0 = h.core == 0 ? 0 : h.n / 2, rows = h.core == 0 ? h.n / 2 : h.n - h.n / 2;
    // The loss gradient is a mean over these rows; scaled by rows / n, the two parts make up the
    // gradient of the whole batch.
    T* dy = t.ws_.output_gradient() + r0 * Net::output_stride;
    const T l = t.loss_.value_and_gradient(y + r0 * Net::output_stride, Net::output_stride,
                                           t.targets_.data() + r0 * t.target_size_, Net::output_size, dy, rows);
    const T scale = T(rows) / T(h.n);
    for (std::size_t k = 0; k < rows * Net::output_stride; ++k) dy[k] *= scale;
    h.loss = l * scale;
    sync();
    if (!std::isfinite(t.parts_[0]->loss + t.parts_[1]->loss)) return; // both cores see the same sum
    two_cores::backward_shared(params, t.ws_, x, h.n, h.core, t.grads_.data(), t.grads2_.data(), sync);
    sync(); // row-split gradients of both cores complete
    T* g = t.grads_.data();
    double own = 0;
    two_cores::for_each_update_range(h.core, [&](std::size_t b, std::size_t e, bool summed) {
      using V = kernels::simd<T>;
      if (summed)
        for (std::size_t i = b; i < e; i += V::size)
          (V::load_aligned(g + i) + V::load_aligned(t.grads2_.data() + i)).store_aligned(g + i);
      h.penalty += u.adjust(g, b, e);
      own = update_type::max_or_nan(own, update_type::magnitude(g + b, e - b));
      if (u.clip_grad_norm() > 0) h.squares += update_type::squared_norm(g, b, e);
    });
    h.g = own;
    sync();
    const part& p0 = *t.parts_[0];
    const part& p1 = *t.parts_[1];
    if (!std::isfinite(p0.g) || !std::isfinite(p1.g)) return;
    double gmax = std::max(p0.g, p1.g);
    if (u.clip_grad_norm() > 0) { // both cores scale their own ranges by the same factor
      double scale = 1;
      two_cores::for_each_update_range(h.core, [&](std::size_t b, std::size_t e, bool) {
        scale = u.clip(g, b, e, p0.squares + p1.squares, h.core == 0);
      });
      gmax *= scale;
    }
    h.next = u.next_bounds(gmax, h.step);
    if (!update_type::safe(h.next)) { // as apply(): measure what the bounds estimate (both cores decide alike)
      h.before = u.measure_ranges(h.core);
      sync();
      optim::bounds now = update_type::combine(p0.before, p1.before);
      now.g = gmax;
      h.next = u.next_bounds_from(now, h.step);
    }
    h.guarded = !update_type::safe(h.next);
    two_cores::for_each_update_range(h.core, [&](std::size_t b, std::size_t e, bool) {
      if (h.guarded) u.back_up(b, e);
      u.step_range(g, h.step, b, e);
    });
    if (!h.guarded) return;
    h.measured = u.measure_ranges(h.core);
    h.finite_update = update_type::finite(h.measured);
    sync();
    if (p0.finite_update && p1.finite_update) return;
    two_cores::for_each_update_range(h.core, [&](std::size_t b, std::size_t e, bool) { u.restore(b, e); });
  }

  Net* net_;
  loss_type loss_;
  update_type update_; ///< the optimizer, its state, clipping, penalties
  aligned_buffer<T> grads_, targets_;
  bool qat_ = false;         ///< quantization-aware training (train_options::quantization_aware)
  aligned_buffer<T> master_; ///< the float weights while a quantization-aware step runs
  workspace<T> ws_;
  std::size_t target_size_ = 0;
  const T* last_outputs_ = nullptr; ///< the last step's outputs (in ws_)
  std::uint64_t noise_seed_ = 1;    ///< the seed of dropout masks (train's seed)
  // two-thread training (set_threads)
  std::unique_ptr<worker> helper_;
  detail::thread_policy policy_;
  bool spinning_ = false; ///< what the helper was last told (keep_spinning)
  spin_barrier barrier_;
  part* parts_[2] = {nullptr, nullptr}; ///< the two parts of the split step under way
  aligned_buffer<T> grads2_;            ///< core 1's gradients of the stages split by rows
};

} // namespace CTNN_NAMESPACE
