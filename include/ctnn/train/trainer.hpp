// trainer: mini-batch training of a net with a loss and an optimizer: deterministic shuffling,
// epochs, validation, early stopping that restores the best weights, divergence detection.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/core/random.hpp>
#include <ctnn/dsl/diag.hpp>
#include <ctnn/io/error.hpp>
#include <ctnn/io/file.hpp>
#include <ctnn/io/weights.hpp>
#include <ctnn/runtime/network.hpp>
#include <ctnn/runtime/worker.hpp>
#include <ctnn/train/loss.hpp>
#include <ctnn/train/metrics.hpp>
#include <ctnn/train/optim.hpp>
#include <ctnn/train/schedule.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include <unistd.h>

namespace CTNN_NAMESPACE {

/// Stop when the monitored loss (validation loss if a validation set is given, else the
/// training loss) has not improved by more than min_delta for `patience` epochs; the weights
/// of the best epoch are then restored. patience = 0 disables it.
struct early_stopping_options {
  std::size_t patience = 0;
  double min_delta = 0.0;
};

/// L1 and L2 penalties on the parameters (see trainer::set_regularization).
struct regularization {
  double l1 = 0;
  double l2 = 0;
};

/// A checkpoint after every `every` epochs (and after the last), for trainer::resume.
struct checkpoint_options {
  std::string path{};
  std::size_t every = 1;
};

/// What a training step did, for train_options::on_step.
struct step_info {
  std::size_t epoch = 0;   ///< 1-based
  std::size_t step = 0;    ///< 1-based within the epoch
  std::size_t samples = 0; ///< in this step's batch
  double loss = 0;         ///< the batch loss (penalties included)
  double lr = 0;
};
struct epoch_record;

template <class Dataset>
struct train_options {
  std::size_t epochs = 10;
  std::size_t batch = 32;
  std::optional<std::reference_wrapper<const Dataset>> validation{};
  early_stopping_options early_stopping{};
  std::uint64_t seed = 0;  ///< shuffling seed: the same seed gives the same run
  std::size_t threads = 0; ///< 0: as set by trainer::set_threads (default 1); 1 or 2: set it
  bool shuffle = true;
  /// > 0: before each update, scale the gradients so that their global L2 norm is at most this
  /// (PyTorch's clip_grad_norm_; see trainer::set_clip_grad_norm). 0: as set on the trainer.
  double clip_grad_norm = 0;
  /// > 0: before each update (and before clipping by norm), clamp every gradient to
  /// [-clip_grad_value, clip_grad_value] (PyTorch's clip_grad_value_). 0: as set on the trainer.
  double clip_grad_value = 0;
  /// The learning rate per epoch (see ctnn/train/schedule.hpp): schedule::step, exponential,
  /// cosine (with warm-up), plateau; constant (the default) keeps the optimizer's lr. The base
  /// rate is the optimizer's lr when train() starts.
  schedule::any schedule{};
  std::ostream* log = &std::clog; ///< progress lines go here; nullptr for silence
  std::size_t log_every = 1;      ///< a progress line every this many epochs (and the last)
  /// Where and how often to write a checkpoint (empty path: never); resume with trainer::resume.
  checkpoint_options checkpoint{};
  /// Called after every optimizer step; return false to stop training (the report says so).
  std::function<bool(const step_info&)> on_step{};
  /// Called after every epoch with its record; return false to stop training.
  std::function<bool(const epoch_record&)> on_epoch{};
};

/// Loss and metrics of a network on a dataset.
struct evaluation {
  double loss = 0;
  double metric = 0; ///< the loss's metric_name: accuracy, RMSE or MAE
  /// Classification losses: accuracy, precision / recall / F1 per class and macro-averaged, the
  /// confusion matrix (bce_with_logits: with one output; two classes).
  std::optional<classification_metrics> classification{};
  /// Regression losses: RMSE and MAE.
  std::optional<regression_metrics> regression{};
};

struct epoch_record {
  std::size_t epoch = 0; ///< 1-based
  evaluation train;
  std::optional<evaluation> validation;
  double samples_per_second = 0;
  double lr = 0; ///< the learning rate of this epoch
};

struct train_report {
  std::vector<epoch_record> history;
  std::string metric_name;
  std::size_t best_epoch = 0;  ///< epoch whose weights the network holds at the end (0: none)
  double best_loss = INFINITY; ///< the monitored loss at best_epoch
  bool stopped_early = false;
  bool stopped_by_callback = false; ///< on_step or on_epoch returned false
  bool diverged = false;            ///< a non-finite loss stopped training
  std::string divergence;           ///< what happened, naming the epoch and step

  /// The history as CSV, one row per epoch: epoch, loss, <metric>, val_loss, val_<metric> (empty
  /// without validation data), lr, samples_per_second. Throws file_error if it cannot be written.
  void write_csv(const std::string& path) const {
    std::ofstream f(path, std::ios::trunc);
    if (!f) throw file_error(path, "opening for writing", "a writable file", "an error (does the directory exist?)");
    f << "epoch,loss," << metric_name << ",val_loss,val_" << metric_name << ",lr,samples_per_second\n";
    f << std::setprecision(9);
    for (const auto& e : history) {
      f << e.epoch << ',' << e.train.loss << ',' << e.train.metric << ',';
      if (e.validation)
        f << e.validation->loss << ',' << e.validation->metric;
      else
        f << ',';
      f << ',' << e.lr << ',' << e.samples_per_second << '\n';
    }
    if (!f) throw file_error(path, "writing", "the history written", "a write error");
  }
};

namespace detail {
/// reshape<D...> for shape<D...> (the fix a dataset of another shape names).
template <class Shape>
struct reshape_of;
template <std::size_t... D>
struct reshape_of<shape<D...>> {
  using type = reshape<D...>;
};
template <class Net, class Loss, class Dataset>
constexpr auto check_training_data() noexcept {
  using out = typename Net::output_shape;
  using expected = typename Loss::template expected_target<out>;
  using target = typename Dataset::target_shape;
  if constexpr (!std::is_same_v<typename Dataset::value_type, typename Net::value_type>)
    return std::type_identity<diag::dataset_scalar_mismatch<
        diag::network_scalar<typename Net::value_type>, diag::dataset_scalar<typename Dataset::value_type>,
        diag::fix_make_the_network_and_the_dataset_with_one_scalar_type>>{};
  else if constexpr (!std::is_same_v<typename Dataset::input_shape, typename Net::input_shape>)
    return std::type_identity<diag::dataset_input_mismatch<
        diag::network_input<typename Net::input_shape>, diag::dataset_input<typename Dataset::input_shape>,
        std::conditional_t<
            Dataset::input_shape::size == Net::input_shape::size,
            diag::fix_declare_the_input_as_the_dataset_shape_then_reshape<
                input<typename Dataset::input_shape>, typename reshape_of<typename Net::input_shape>::type>,
            diag::fix_make_the_dataset_with_the_network_input_shape>>>{};
  else if constexpr (!std::is_same_v<expected, target> && Net::model::valid) // (else: the network's one error)
    return std::type_identity<diag::loss_target_mismatch<
        Loss, diag::network_output<out>, diag::target<target>, diag::expects<expected>,
        std::conditional_t<std::is_base_of_v<loss::detail::class_index_target, Loss> && std::is_same_v<target, out>,
                           diag::fix_give_each_sample_its_class_index_as_a_shape_1_target,
                           diag::fix_make_the_targets_the_expected_shape>>>{};
  else
    return std::type_identity<diag::no_error>{};
}
template <class Loss>
concept applies_activation = requires {
  typename Loss::applies;
};

/// Whether Net can be trained with Loss at all: it has parameters, and does not end in the
/// activation the loss applies itself (softmax before cross-entropy would be applied twice, and
/// PyTorch trains such a model without a word).
template <class Net, class Loss>
constexpr auto check_trainable() noexcept {
  using model = typename Net::model;
  constexpr std::size_t last = model::layer_count - 1;
  using final = typename model::template layer<last>;
  if constexpr (!model::valid) // the network's own diagnostic is the one error
    return std::type_identity<diag::no_error>{};
  else if constexpr (Net::param_count == 0)
    return std::type_identity<diag::network_has_no_parameters<diag::network_input<typename Net::input_shape>,
                                                              diag::fix_add_a_layer_with_parameters_such_as_dense>>{};
  else if constexpr (applies_activation<Loss>) {
    if constexpr (std::is_same_v<final, typename Loss::applies>)
      return std::type_identity<diag::loss_applies_the_final_activation<
          Loss, diag::layer_index<last>, diag::final_layer<final>, typename Loss::fix_applies>>{};
    else
      return std::type_identity<diag::no_error>{};
  } else
    return std::type_identity<diag::no_error>{};
}
} // namespace detail

namespace detail {
/// The live progress line of an epoch, on a terminal only: "epoch 3/10 [=====>     ] 48%
/// 51,200 samples/s loss 0.1234 ETA 1.2s", redrawn at most ten times a second and erased before
/// the epoch's own line. Not a terminal (a file, a pipe, CI): nothing, the epoch lines remain.
class progress_bar {
public:
  progress_bar(std::ostream* os, std::size_t epoch, std::size_t epochs) : epoch_(epoch), epochs_(epochs) {
    if (os == &std::clog || os == &std::cerr)
      os_ = ::isatty(2) ? os : nullptr;
    else if (os == &std::cout)
      os_ = ::isatty(1) ? os : nullptr;
  }
  explicit operator bool() const noexcept { return os_ != nullptr; }
  void update(std::size_t done, std::size_t total, double loss, std::chrono::steady_clock::time_point start) {
    const auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    const double seconds = std::chrono::duration<double>(now - start).count();
    const double rate = seconds > 0 ? double(done) / seconds : 0;
    constexpr int width = 24;
    const int filled = int(double(width) * double(done) / double(std::max<std::size_t>(total, 1)));
    char line[160];
    std::snprintf(line, sizeof line, "\repoch %zu/%zu [%.*s%s%*s] %3d%%  %.0f samples/s  loss %.4f  ETA %.1fs ", epoch_,
                  epochs_, filled, "========================", filled < width ? ">" : "",
                  width - filled - (filled < width ? 1 : 0), "",
                  int(100.0 * double(done) / double(std::max<std::size_t>(total, 1))), rate, loss,
                  rate > 0 ? double(total - done) / rate : 0.0);
    *os_ << line << std::flush;
    drawn_ = true;
  }
  void clear() {
    if (drawn_) *os_ << "\r\033[K" << std::flush;
  }

private:
  std::ostream* os_ = nullptr;
  std::size_t epoch_, epochs_;
  std::chrono::steady_clock::time_point last_{};
  bool drawn_ = false;
};
} // namespace detail

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
      : net_(&network), loss_(loss), optim_(optimizer), grads_(Net::param_size),
        state_(Optim::template state_size<T>(Net::param_size)),
        backup_(Net::param_size + Optim::template state_size<T>(Net::param_size)) {
    validate_optimizer();
  }

  Net& network() noexcept { return *net_; }
  const Optim& optimizer() const noexcept { return optim_; }
  /// The optimizer's settings, to change between steps or epochs (lr, momentum, ...): its state
  /// (moments, momentum buffers) and the step count are kept.
  Optim& optimizer() noexcept { return optim_; }
  /// Optimizer steps taken so far.
  std::int64_t steps() const noexcept { return steps_; }

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
  /// bursts, and runs the faster: when the second core is busy it falls back to one thread.
  /// Allocates (the helper thread, a gradient buffer): call it off the hot path.
  void set_threads(std::size_t threads, bool adaptive = true) {
    if (threads != 1 && threads != 2) throw std::invalid_argument("ctnn::trainer::set_threads: 1 or 2 threads");
    adaptive_ = adaptive;
    if (threads == 2 && !helper_) {
      helper_ = std::make_unique<worker>();
      grads2_ = aligned_buffer<T>(Net::param_size);
    } else if (threads == 1) {
      helper_.reset();
    }
    if (helper_) helper_->keep_spinning(!adaptive); // adaptive starts on one thread
    split_mode_ = false;
    probing_ = true;
    steps_in_mode_ = slow_streak_ = 0;
    exploit_steps_ = min_exploit;
    ns_per_sample_[0] = ns_per_sample_[1] = 0;
  }
  std::size_t threads() const noexcept { return helper_ ? 2 : 1; }

  /// Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_(max_norm): when the L2
  /// norm of all gradients together exceeds max_norm, every gradient is multiplied by
  /// max_norm / (norm + 1e-6) before the update. Recurrent networks need it (exploding
  /// gradients through time). 0 (the default) turns it off.
  void set_clip_grad_norm(double max_norm) {
    if (!(max_norm >= 0)) throw std::invalid_argument("ctnn::trainer::set_clip_grad_norm: max_norm must be >= 0");
    clip_norm_ = max_norm;
  }
  double clip_grad_norm() const noexcept { return clip_norm_; }
  /// Gradient clipping by value, as torch.nn.utils.clip_grad_value_(clip_value): every gradient
  /// clamped to [-clip_value, clip_value] before the update (before clipping by norm, if both
  /// are on). 0 (the default) turns it off.
  void set_clip_grad_value(double clip_value) {
    if (!(clip_value >= 0)) throw std::invalid_argument("ctnn::trainer::set_clip_grad_value: clip_value must be >= 0");
    clip_value_ = clip_value;
  }
  double clip_grad_value() const noexcept { return clip_value_; }
  /// L1 and L2 penalties on every parameter (weights and biases), added to the loss:
  /// loss + l1 sum |w| + l2 sum w^2, hence gradients + l1 sign(w) + 2 l2 w (as adding the terms
  /// to the loss in PyTorch). Beside the optimizers' weight_decay (L2 in the gradient: sgd and
  /// adam; decoupled: adamw). The step's reported loss includes them. Buffers (batch_norm's
  /// running statistics) are not parameters: no penalty applies to them.
  void set_regularization(const regularization& r) {
    check_penalties(r);
    penalties_ = r;
    layer_penalties_.fill(r);
  }
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
      check_penalties(r);
      layer_penalties_[Net::stage_of_layer(I)] = r;
    }
  }
  /// The penalties set for the whole network (set_regularization(r)), and those of layer I.
  const regularization& regularization_terms() const noexcept { return penalties_; }
  template <std::size_t I>
  const regularization& regularization_terms() const noexcept {
    static_assert(I < Net::model::layer_count && Net::stage_of_layer(I) != detail::npos,
                  "trainer::regularization_terms<I>: layer I has no parameters");
    return layer_penalties_[Net::stage_of_layer(I)];
  }
  /// The global gradient norm of the last step, before clipping (0 until a step with clipping on).
  double last_grad_norm() const noexcept { return last_norm_; }
  /// What the adaptive two-thread mode measured: nanoseconds per sample of a step on one thread
  /// and split over two (moving averages; 0 until measured).
  std::pair<double, double> step_costs() const noexcept { return {ns_per_sample_[0], ns_per_sample_[1]}; }

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
    ws_.set_noise_seed(noise_seed_ + std::uint64_t(steps_) * 0x9e3779b97f4a7c15ull); // dropout masks of this step
    const bool split = helper_ && n >= 2 * min_split_rows && use_split();
    const auto start = std::chrono::steady_clock::now();
    const step_result r = split ? step_split(n) : step_whole(n);
    if (r.applied()) net_->update_buffers(ws_, n); // batch_norm's running statistics
    if (helper_ && adaptive_ && r.applied()) record(split, std::chrono::steady_clock::now() - start, n);
    return r;
  }
  /// Forgets what the trainer knows of the parameters' magnitudes (see step()).
  void parameters_changed() noexcept { bounds_ = {}; }
  workspace<T>& work() noexcept { return ws_; }
  T* targets() noexcept { return targets_.data(); }

  /// Loss and metric of the network on data (batched inference, no update). Throws
  /// std::invalid_argument, as train does, for an empty dataset or a target the loss cannot take
  /// (naming the sample).
  template <class Dataset>
  evaluation evaluate(const Dataset& data) {
    if constexpr (!fits<Dataset>()) {
      return {};
    } else {
      validate(data, "evaluate", "evaluation");
      return evaluate_valid(data);
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
      check_run(data, opts, "train");
      apply_run_options(opts);
      run_state st(opts.seed);
      st.order.resize(data.size());
      std::iota(st.order.begin(), st.order.end(), std::size_t{0});
      noise_seed_ = opts.seed * 0xd1b54a32d192ed03ull + 1; // dropout masks: from the seed and the step count
      st.base_lr = optim_.lr;
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
    if constexpr (!fits<Dataset>()) {
      return {};
    } else {
      check_run(data, opts, "resume");
      run_state st(0);
      checkpoint_contents c = read_checkpoint(path, data.size(), st); // throws before anything changes
      if (bool(opts.early_stopping.patience) != c.has_best)
        throw std::invalid_argument("ctnn::trainer::resume: " + path + " was written by a run " +
                                    (c.has_best ? "with" : "without") + " early stopping, and this resume " +
                                    (c.has_best ? "has none" : "has it") +
                                    ": resume with the checkpointed run's train_options (early_stopping.patience " +
                                    (c.has_best ? "> 0" : "0") + ")");
      // everything read and checked: now it takes effect
      apply_run_options(opts);
      Net::from_logical(c.params.data(), net_->parameters().data());
      std::fill(state_.begin(), state_.end(), T(0));
      const std::size_t slot = state_.size() / Optim::slots;
      for (std::size_t k = 0; k < Optim::slots; ++k)
        Net::from_logical(c.state.data() + k * Net::value_count, state_.data() + k * slot);
      steps_ = c.steps;
      bounds_ = c.bounds;
      noise_seed_ = c.noise_seed;
      if (c.has_best) {
        st.best = aligned_buffer<T>(Net::param_size);
        Net::from_logical(c.best.data(), st.best.data());
        st.best_held = st.report.best_epoch > 0;
      }
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
    validate(data, what, "training");
    if (opts.validation) validate(opts.validation->get(), what, "validation");
    if (opts.batch == 0)
      throw std::invalid_argument(std::string("ctnn::trainer::") + what + ": batch size must be positive");
    if (opts.threads > 2)
      throw std::invalid_argument(std::string("ctnn::trainer::") + what + ": train_options::threads is " +
                                  std::to_string(opts.threads) + "; use 0 (as set_threads left it), 1 or 2");
    validate_optimizer(); // its settings may have changed through optimizer()
    schedule::validate(opts.schedule);
  }
  /// The optimizer's settings, as PyTorch checks them (a user's optimizer may have no validate()).
  void validate_optimizer() const {
    if constexpr (requires { optim_.validate(); }) optim_.validate();
  }
  /// The options that set the trainer itself (threads, clipping).
  template <class Dataset>
  void apply_run_options(const train_options<Dataset>& opts) {
    if (opts.threads != 0 && opts.threads != threads()) set_threads(opts.threads);
    if (opts.clip_grad_norm > 0) set_clip_grad_norm(opts.clip_grad_norm);
    if (opts.clip_grad_value > 0) set_clip_grad_value(opts.clip_grad_value);
  }

  template <class Dataset>
  train_report run(const Dataset& data, const train_options<Dataset>& opts, run_state& st) {
    const std::size_t batch = std::min(opts.batch, data.size());
    reserve(batch, Dataset::target_size);
    st.report.metric_name = Loss::metric_name;
    if (opts.early_stopping.patience && !st.best.size()) st.best = aligned_buffer<T>(Net::param_size);
    train_report& report = st.report;
    std::vector<std::size_t>& order = st.order;
    for (std::size_t epoch = st.epochs_done + 1; epoch <= opts.epochs; ++epoch) {
      optim_.lr = st.lr_state.lr;
      if (opts.shuffle)
        for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[st.gen.below(i)]);
      const auto start = std::chrono::steady_clock::now();
      double loss_sum = 0, metric_sum = 0;
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
        const T l = r.loss;
        if (!r.applied()) {
          if (bar) bar.clear();
          std::ostringstream why;
          why << "training stopped: ";
          if (!r.finite_loss)
            why << "the loss became " << l;
          else if (!r.finite_gradients)
            why << "the gradients became non-finite (loss " << l << ")";
          else
            why << "the update made parameters or optimizer state non-finite (loss " << l
                << "; the update was rolled back)";
          why << " at epoch " << epoch << ", step " << step_in_epoch << " (samples " << at << ".." << at + n - 1
              << (opts.shuffle ? " of the shuffled order" : "") << "); the weights of the last good step are kept";
          report.diverged = true;
          report.divergence = why.str();
          if (opts.log) *opts.log << report.divergence << '\n';
          return report;
        }
        loss_sum += double(l) * double(n);
        // outputs of this step's forward pass, before the update: a free running metric
        metric_sum += last_step_metric(n);
        seen = at + n;
        if (bar) bar.update(at + n, order.size(), loss_sum / double(at + n), start);
        if (opts.on_step && !opts.on_step(step_info{epoch, step_in_epoch, n, double(l), optim_.lr})) {
          report.stopped_by_callback = true;
          break;
        }
      }
      if (bar) bar.clear();
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

      epoch_record rec;
      rec.epoch = epoch;
      // (a callback may have stopped the epoch early: the means are over the samples seen)
      rec.train = {loss_sum / double(seen), Loss::finish_metric(metric_sum, seen, Net::output_size)};
      if (opts.validation) rec.validation = evaluate_valid(opts.validation->get());
      rec.samples_per_second = seconds > 0 ? double(data.size()) / seconds : 0.0;
      rec.lr = optim_.lr;
      report.history.push_back(rec);
      if (opts.log && (epoch % std::max<std::size_t>(opts.log_every, 1) == 0 || epoch == opts.epochs))
        print(*opts.log, rec, opts.epochs);
      if (report.stopped_by_callback) break; // in the middle of an epoch: no checkpoint of it

      const double monitored = rec.validation ? rec.validation->loss : rec.train.loss;
      schedule::advance(opts.schedule, st.lr_state, st.base_lr, epoch - 1, monitored);
      if (monitored < report.best_loss - opts.early_stopping.min_delta) {
        report.best_loss = monitored;
        report.best_epoch = epoch;
        st.since_best = 0;
        if (st.best.size()) {
          std::copy(net_->parameters().begin(), net_->parameters().end(), st.best.begin());
          st.best_held = true;
        }
      } else if (opts.early_stopping.patience && ++st.since_best >= opts.early_stopping.patience) {
        report.stopped_early = true;
      }
      st.epochs_done = epoch;
      if (!opts.checkpoint.path.empty() && (epoch % std::max<std::size_t>(opts.checkpoint.every, 1) == 0 ||
                                            epoch == opts.epochs || report.stopped_early))
        write_checkpoint(opts.checkpoint.path, st);
      if (report.stopped_early) break;
      if (opts.on_epoch && !opts.on_epoch(rec)) {
        report.stopped_by_callback = true;
        break;
      }
    }
    if (st.best_held && report.best_epoch) {
      std::copy(st.best.begin(), st.best.end(), net_->parameters().begin());
      parameters_changed();
      if (opts.log && report.best_epoch != report.history.size())
        *opts.log << "restored the weights of epoch " << report.best_epoch << " (monitored loss " << report.best_loss
                  << ")\n";
    } else {
      report.best_epoch = report.history.empty() ? 0 : report.history.size();
    }
    return report;
  }

  // ---- checkpoints ----
  //
  // Layout (little-endian): "CTNNCKP\0", u32 version 1, then strings (u32 length + bytes): the
  // network's fingerprint, the optimizer's and the loss's names; u64 values: parameter count N,
  // N parameters (T, PyTorch order), the optimizer's state slots (each N values, PyTorch order),
  // the step count, the update bounds (4 doubles), the epochs done, the shuffling generator
  // (4 u64), the order (one u64 per sample), early stopping (since_best, best loss, best epoch,
  // whether best weights follow, then N values), the schedule (base lr, lr, best, bad epochs,
  // cooldown), the noise seed, the history (per epoch: number, loss, metric, validation flag,
  // loss and metric, samples/s, lr); u64 FNV-1a checksum of all preceding bytes.
  struct checkpoint_contents {
    std::vector<T> params, state, best;
    std::int64_t steps = 0;
    optim::bounds bounds{};
    std::uint64_t noise_seed = 0;
    bool has_best = false;
  };
  void write_checkpoint(const std::string& path, const run_state& st) const {
    namespace wf = weights_format;
    std::vector<unsigned char> b(checkpoint_magic, checkpoint_magic + 8);
    wf::put<std::uint32_t>(b, 1);
    auto put_string = [&](const std::string& v) {
      wf::put<std::uint32_t>(b, std::uint32_t(v.size()));
      b.insert(b.end(), v.begin(), v.end());
    };
    put_string(wf::join(Net::fingerprint()));
    put_string(Optim::name());
    put_string(Loss::name());
    std::vector<T> logical(Net::value_count);
    auto put_layout = [&](const T* stored) {
      Net::to_logical(stored, logical.data());
      for (T v : logical) wf::put<T>(b, v);
    };
    wf::put<std::uint64_t>(b, Net::value_count);
    put_layout(net_->parameters().data());
    const std::size_t slot = state_.size() / Optim::slots;
    for (std::size_t k = 0; k < Optim::slots; ++k) put_layout(state_.data() + k * slot);
    wf::put<std::int64_t>(b, steps_);
    for (double v : {bounds_.w, bounds_.g, bounds_.s1, bounds_.s2}) wf::put<double>(b, v);
    wf::put<std::uint64_t>(b, st.epochs_done);
    for (auto v : st.gen.state()) wf::put<std::uint64_t>(b, v);
    wf::put<std::uint64_t>(b, st.order.size());
    for (auto v : st.order) wf::put<std::uint64_t>(b, v);
    wf::put<std::uint64_t>(b, st.since_best);
    wf::put<double>(b, st.report.best_loss);
    wf::put<std::uint64_t>(b, st.report.best_epoch);
    wf::put<std::uint8_t>(b, st.best.size() ? 1 : 0);
    if (st.best.size()) put_layout(st.best.data());
    for (double v : {st.base_lr, st.lr_state.lr, st.lr_state.best}) wf::put<double>(b, v);
    wf::put<std::uint64_t>(b, st.lr_state.bad_epochs);
    wf::put<std::uint64_t>(b, st.lr_state.cooldown_left);
    wf::put<std::uint64_t>(b, noise_seed_);
    wf::put<std::uint64_t>(b, st.report.history.size());
    for (const auto& e : st.report.history) {
      wf::put<std::uint64_t>(b, e.epoch);
      wf::put<double>(b, e.train.loss);
      wf::put<double>(b, e.train.metric);
      wf::put<std::uint8_t>(b, e.validation ? 1 : 0);
      wf::put<double>(b, e.validation ? e.validation->loss : 0.0);
      wf::put<double>(b, e.validation ? e.validation->metric : 0.0);
      wf::put<double>(b, e.samples_per_second);
      wf::put<double>(b, e.lr);
    }
    wf::put<std::uint64_t>(b, wf::fnv1a(b.data(), b.size()));
    // written beside (a new file, never through a symbolic link), flushed, then renamed: an
    // interruption while writing leaves the last checkpoint whole
    detail::write_file_atomically(path, b.data(), b.size(), "a writable checkpoint file");
  }

  checkpoint_contents read_checkpoint(const std::string& path, std::size_t samples, run_state& st) const {
    namespace wf = weights_format;
    // the most a checkpoint of this network and dataset holds: its fixed fields, the values
    // (parameters, optimizer slots, best weights), the shuffled order, and a history of up to
    // 2^20 epochs
    const std::uint64_t max_bytes = 4096 + wf::join(Net::fingerprint()).size() + Optim::name().size() +
                                    Loss::name().size() +
                                    (Optim::slots + 2) * std::uint64_t(Net::value_count) * sizeof(T) +
                                    8 * std::uint64_t(samples) + 64 * (std::uint64_t(1) << 20);
    const std::string text = detail::read_file(path, "a ctnn checkpoint file", {.max_bytes = max_bytes, .gzip = false});
    const std::vector<unsigned char> b(text.begin(), text.end());
    std::size_t at = 0;
    auto fail = [&](const std::string& where, const std::string& expected, const std::string& found) {
      throw file_error(path, where, expected, found);
    };
    if (b.size() < 20 || std::memcmp(b.data(), checkpoint_magic, 8) != 0)
      fail("byte 0", "the checkpoint magic \"CTNNCKP\"", "other bytes (not a ctnn checkpoint)");
    const bool sum_ok = wf::get<std::uint64_t>(b, b.size() - 8) == wf::fnv1a(b.data(), b.size() - 8);
    const std::size_t end = b.size() - 8;
    at = 8;
    std::string field = "version";
    bool truncated = false;
    auto need = [&](std::size_t n) {
      if (n > end - std::min(at, end)) {
        truncated = true;
        fail(field + " (byte " + std::to_string(at) + ")", std::to_string(n) + " more bytes",
             "the end of the file (truncated at byte " + std::to_string(b.size()) + ")");
      }
    };
    auto u32 = [&] {
      need(4);
      const auto v = wf::get<std::uint32_t>(b, at);
      at += 4;
      return v;
    };
    auto u64 = [&] {
      need(8);
      const auto v = wf::get<std::uint64_t>(b, at);
      at += 8;
      return v;
    };
    auto f64 = [&] {
      need(8);
      const auto v = wf::get<double>(b, at);
      at += 8;
      return v;
    };
    auto u8 = [&] {
      need(1);
      return b[at++];
    };
    auto str = [&] {
      const std::size_t n = u32();
      need(n);
      std::string v(b.begin() + std::ptrdiff_t(at), b.begin() + std::ptrdiff_t(at + n));
      at += n;
      return v;
    };
    auto values = [&](std::vector<T>& out, const char* name) {
      field = name;
      need(Net::value_count * sizeof(T));
      out.resize(Net::value_count);
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = wf::get<T>(b, at);
        if (!std::isfinite(out[i]))
          fail(field + ", value " + std::to_string(i) + " (byte " + std::to_string(at) + ")", "a finite number",
               std::to_string(double(out[i])));
        at += sizeof(T);
      }
    };
    auto parse = [&] {
      if (const auto v = u32(); v != 1) fail("byte 8", "checkpoint version 1", "version " + std::to_string(v));
      field = "fingerprint";
      wf::compare_fingerprints(path, wf::split(str()), Net::fingerprint(), 0, "the network being trained",
                               "in the checkpoint");
      field = "optimizer";
      if (const auto o = str(); o != Optim::name())
        fail("optimizer", wf::quoted(Optim::name()) + " (the trainer's)", wf::quoted(o) + " (in the checkpoint)");
      field = "loss";
      if (const auto l = str(); l != Loss::name())
        fail("loss", wf::quoted(Loss::name()) + " (the trainer's)", wf::quoted(l) + " (in the checkpoint)");
      field = "parameter count";
      if (const auto n = u64(); n != Net::value_count)
        fail("parameter count", std::to_string(Net::value_count), std::to_string(n));
      checkpoint_contents c;
      values(c.params, "parameters and buffers");
      c.state.resize(Optim::slots * Net::value_count);
      for (std::size_t k = 0; k < Optim::slots; ++k) {
        std::vector<T> slot;
        values(slot, "optimizer state");
        std::copy(slot.begin(), slot.end(), c.state.begin() + std::ptrdiff_t(k * Net::value_count));
      }
      field = "step count, bounds and shuffling generator";
      c.steps = std::int64_t(u64());
      c.bounds = {f64(), f64(), f64(), f64()};
      st.epochs_done = u64();
      std::array<std::uint64_t, 4> g{};
      for (auto& v : g) v = u64();
      st.gen = rng::from_state(g);
      field = "shuffled order";
      if (const auto n = u64(); n != samples)
        fail("shuffled order", std::to_string(samples) + " samples (the dataset given)",
             std::to_string(n) + " (the dataset saved)");
      st.order.resize(samples);
      for (auto& v : st.order) {
        v = std::size_t(u64());
        if (v >= samples) fail("shuffled order", "sample indices below " + std::to_string(samples), std::to_string(v));
      }
      field = "early stopping";
      st.since_best = u64();
      st.report.best_loss = f64();
      st.report.best_epoch = u64();
      c.has_best = u8() != 0;
      if (c.has_best) values(c.best, "early stopping's best weights");
      field = "learning-rate schedule and dropout seed";
      st.base_lr = f64();
      st.lr_state.lr = f64();
      st.lr_state.best = f64();
      st.lr_state.bad_epochs = u64();
      st.lr_state.cooldown_left = u64();
      c.noise_seed = u64();
      field = "history";
      const std::size_t records = u64();
      if (records != st.epochs_done)
        fail("history", std::to_string(st.epochs_done) + " epochs", std::to_string(records));
      if (st.report.best_epoch > records)
        fail("best epoch", "an epoch of the " + std::to_string(records) + " in the history",
             "epoch " + std::to_string(st.report.best_epoch));
      for (std::size_t i = 0; i < records; ++i) {
        epoch_record e;
        e.epoch = u64();
        e.train.loss = f64();
        e.train.metric = f64();
        const bool has_val = u8() != 0;
        const double vl = f64(), vm = f64();
        if (has_val) e.validation = evaluation{vl, vm};
        e.samples_per_second = f64();
        e.lr = f64();
        st.report.history.push_back(e);
      }
      if (at != end) fail("byte " + std::to_string(at), "the checksum after the history", "trailing data");
      return c;
    };
    if (sum_ok) return parse();
    try { // a damaged file: truncated if its fields run past its end, else corrupt
      (void)parse();
    } catch (const file_error&) {
      if (truncated) throw;
    }
    fail("byte " + std::to_string(b.size() - 8), "the checksum of the preceding bytes", "another value (corrupt)");
    return {};
  }
  static constexpr char checkpoint_magic[8] = {'C', 'T', 'N', 'N', 'C', 'K', 'P', '\0'};

  /// Whether Dataset fits the network's input and the loss's target. Holds the one static_assert
  /// for a misfit (instantiated once per Dataset, however many members use it).
  template <class Dataset>
  static constexpr bool fits() noexcept {
    using diagnosis = typename decltype(detail::check_training_data<Net, Loss, Dataset>())::type;
    static_assert(diagnosis::ok, "ctnn: trainer: the dataset does not fit the network and the loss; the "
                                 "failed condition names the shapes");
    return diagnosis::ok;
  }

  /// The largest |p[i]| over [0, n), or NaN if some element is NaN or infinite (x * 0 is NaN
  /// exactly for those). p is aligned to a register.
  static double magnitude(const T* p, std::size_t n) noexcept {
    using V = kernels::simd<T>;
    const std::size_t full = n / V::size * V::size;
    V nonfinite(T(0)), big(T(0));
    for (std::size_t i = 0; i < full; i += V::size) {
      const V v = V::load_aligned(p + i);
      nonfinite += v * V(T(0));
      big = xsimd::max(big, xsimd::abs(v));
    }
    T tail = 0, tail_big = 0;
    for (std::size_t i = full; i < n; ++i) {
      tail += p[i] * T(0);
      tail_big = std::max(tail_big, std::abs(p[i]));
    }
    if (!std::isfinite(xsimd::hadd(nonfinite) + tail)) return NAN;
    return double(std::max(kernels::reduce_max(big), tail_big));
  }

  // ---- the update, guarded against overflow ----
  //
  // A step with finite gradients can still overflow the weights (a huge learning rate, huge
  // inputs): the promise that the last good weights are kept must hold for them too. Checking
  // after the update needs the old values to roll back, and copying the parameters and state
  // every step would cost a pass over them. Instead each step bounds its result first
  // (optim::bounds: the exact max |w| the last update wrote, the max |g| the gradient check
  // measured, bounds on the state); far from overflow the update runs as it is. Otherwise (the
  // first step, whose |w| is unknown, and any step near overflow) the parameters and state of
  // the range are backed up, updated, checked and, if anything became non-finite, restored.

  /// Whether next (the bounds after the step) is far from T's overflow threshold.
  static bool safe(const optim::bounds& next) noexcept {
    constexpr double limit = double(std::numeric_limits<T>::max()) / 1024;
    return next.w < limit && next.s1 < limit && next.s2 < limit; // false for NaN
  }
  /// Calls f(array, backup) for the parameters and each optimizer-state slot: the array and
  /// where its copy lives in backup_ (parameters first, then the state as laid out).
  template <class F>
  void for_each_updated_array(F&& f) {
    const std::size_t slot = state_.size() / Optim::slots;
    f(net_->parameters().data(), backup_.data());
    for (std::size_t k = 0; k < Optim::slots; ++k)
      f(state_.data() + k * slot, backup_.data() + Net::param_size + k * slot);
  }
  void back_up(std::size_t b, std::size_t e) noexcept {
    for_each_updated_array([&](T* p, T* copy) { std::copy(p + b, p + e, copy + b); });
  }
  void restore(std::size_t b, std::size_t e) noexcept {
    for_each_updated_array([&](T* p, T* copy) { std::copy(copy + b, copy + e, p + b); });
  }
  /// The largest parameter and state magnitudes in [b, e) after an update (NaN: not finite).
  /// s1 is the first state slot's, s2 the largest of the others' (optimizers read them so).
  optim::bounds measure(std::size_t b, std::size_t e) noexcept {
    double m[1 + Optim::slots] = {};
    std::size_t k = 0;
    for_each_updated_array([&](T* p, T*) { m[k++] = magnitude(p + b, e - b); });
    double others = 0;
    for (std::size_t i = 2; i < 1 + Optim::slots; ++i) others = max_or_nan(others, m[i]);
    return {m[0], 0, Optim::slots > 0 ? m[1] : 0.0, others};
  }
  /// measure over the ranges `core` updates in a split step.
  optim::bounds measure_ranges(unsigned core) noexcept {
    optim::bounds m{0, 0, 0, 0};
    Net::for_each_update_range(core, [&](std::size_t b, std::size_t e, bool) { m = combine(m, measure(b, e)); });
    return m;
  }
  static double max_or_nan(double a, double b) noexcept {
    return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
  }

  static void check_penalties(const regularization& r) {
    if (!(r.l1 >= 0) || !(r.l2 >= 0))
      throw std::invalid_argument("ctnn::trainer::set_regularization: l1 and l2 must be >= 0");
  }
  /// The gradient terms of the L1/L2 penalties (each layer's own, on its trainable parameters)
  /// and clipping by value, over [b, e) of g; returns the penalty of the parameters there (0
  /// without penalties).
  double adjust(T* g, std::size_t b, std::size_t e) noexcept {
    double penalty = 0;
    const T* w = net_->parameters().data();
    Net::for_each_trainable_stage([&](std::size_t s, std::size_t sb, std::size_t se) {
      const regularization& r = layer_penalties_[s];
      if (!(r.l1 > 0 || r.l2 > 0)) return;
      const T l1 = T(r.l1), l2x2 = T(2 * r.l2);
      double abs_sum = 0, square_sum = 0;
      for (std::size_t i = std::max(b, sb); i < std::min(e, se); ++i) {
        const T v = w[i];
        abs_sum += std::abs(double(v));
        square_sum += double(v) * double(v);
        g[i] += l1 * (T(v > T(0)) - T(v < T(0))) + l2x2 * v;
      }
      penalty += r.l1 * abs_sum + r.l2 * square_sum;
    });
    if (clip_value_ > 0) {
      const T c = T(clip_value_);
      for (std::size_t i = b; i < e; ++i) g[i] = std::clamp(g[i], -c, c); // NaN stays NaN (caught next)
    }
    return penalty;
  }
  static double squared_norm(const T* g, std::size_t b, std::size_t e) noexcept {
    double s = 0;
    for (std::size_t i = b; i < e; ++i) s += double(g[i]) * double(g[i]);
    return s;
  }
  /// Clipping by global norm over [b, e) of g, given the sum of squares of all gradients:
  /// scales them as clip_grad_norm_ does and returns the factor (1: left alone). Records the
  /// norm unless `record` is false.
  double clip(T* g, std::size_t b, std::size_t e, double squares, bool record = true) noexcept {
    const double norm = std::sqrt(squares);
    if (record) last_norm_ = norm;
    const double coefficient = clip_norm_ / (norm + 1e-6);
    if (coefficient >= 1) return 1;
    for (std::size_t i = b; i < e; ++i) g[i] = T(double(g[i]) * coefficient);
    return coefficient;
  }
  static optim::bounds combine(const optim::bounds& a, const optim::bounds& b) noexcept {
    return {max_or_nan(a.w, b.w), max_or_nan(a.g, b.g), max_or_nan(a.s1, b.s1), max_or_nan(a.s2, b.s2)};
  }
  static bool finite(const optim::bounds& b) noexcept {
    return std::isfinite(b.w) && std::isfinite(b.s1) && std::isfinite(b.s2);
  }

  // ---- gradients of one step, on one core or split over two ----

  step_result step_whole(std::size_t n) noexcept {
    const T* y = net_->forward_train(ws_, ws_.input(), n);
    last_outputs_ = y;
    const T data_loss =
        loss_.value_and_gradient(y, Net::output_stride, targets_.data(), Net::output_size, ws_.output_gradient(), n);
    if (!std::isfinite(data_loss)) return {data_loss, false, false};
    net_->backward(ws_, ws_.input(), n, grads_.data(), kernels::store_mode::overwrite);
    const T l = data_loss + T(adjust(grads_.data(), 0, Net::param_size));
    // A finite loss can still come with infinite gradients (e.g. an infinite input into a
    // saturating activation); updating with them would silently corrupt every weight.
    double g = magnitude(grads_.data(), Net::param_size);
    if (!std::isfinite(g)) return {l, true, false};
    if (clip_norm_ > 0) g *= clip(grads_.data(), 0, Net::param_size, squared_norm(grads_.data(), 0, Net::param_size));
    const std::int64_t t = steps_ + 1;
    optim::bounds next = optim_.next_bounds({bounds_.w, g, bounds_.s1, bounds_.s2}, t);
    if (!safe(next)) { // the bounds may only be loose: measure what they estimate
      optim::bounds now = measure(0, Net::param_size);
      now.g = g;
      next = optim_.next_bounds(now, t);
    }
    const bool guarded = !safe(next);
    if (guarded) back_up(0, Net::param_size);
    Net::for_each_trainable_stage([&](std::size_t, std::size_t b, std::size_t e) {
      optim_.step(net_->parameters().data(), grads_.data(), state_.data(), Net::param_size, t, b, e);
    });
    if (guarded) {
      next = measure(0, Net::param_size);
      if (!finite(next)) {
        restore(0, Net::param_size);
        return {l, true, true, false};
      }
    }
    bounds_ = next;
    steps_ = t;
    return {l, true, true};
  }

  /// The same over two cores: this thread runs part 0 and the helper part 1 of one schedule
  /// (net::forward_train_shared / backward_shared), meeting at a barrier between stages. Wide
  /// layers split by output columns, so each core keeps its half of their weights, gradients
  /// and optimizer state in its own cache: only activations cross between cores. (The earlier
  /// split by samples gave each core a whole gradient to exchange and a whole weight matrix to
  /// re-read every step; on mnist_mlp that traffic ate the gain: 0.99x one thread.)
  step_result step_split(std::size_t n) noexcept {
    part p0{this, 0, n, steps_ + 1}, p1{this, 1, n, steps_ + 1};
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
    bounds_ = p0.guarded ? combine(p0.measured, p1.measured) : p0.next;
    ++steps_;
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
    // the update (see step_whole): both cores take the same decision from the same bounds
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
    auto sync = [&t] { t.barrier_.arrive_and_wait(); };
    const T* x = t.ws_.input();
    const T* y = t.net_->forward_train_shared(t.ws_, x, h.n, h.core, sync);
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
    t.net_->backward_shared(t.ws_, x, h.n, h.core, t.grads_.data(), t.grads2_.data(), sync);
    sync(); // row-split gradients of both cores complete
    T* g = t.grads_.data();
    double own = 0;
    Net::for_each_update_range(h.core, [&](std::size_t b, std::size_t e, bool summed) {
      using V = kernels::simd<T>;
      if (summed)
        for (std::size_t i = b; i < e; i += V::size)
          (V::load_aligned(g + i) + V::load_aligned(t.grads2_.data() + i)).store_aligned(g + i);
      h.penalty += t.adjust(g, b, e);
      own = max_or_nan(own, magnitude(g + b, e - b));
      if (t.clip_norm_ > 0) h.squares += squared_norm(g, b, e);
    });
    h.g = own;
    sync();
    const part& p0 = *t.parts_[0];
    const part& p1 = *t.parts_[1];
    if (!std::isfinite(p0.g) || !std::isfinite(p1.g)) return;
    double gmax = std::max(p0.g, p1.g);
    if (t.clip_norm_ > 0) { // both cores scale their own ranges by the same factor
      double scale = 1;
      Net::for_each_update_range(h.core, [&](std::size_t b, std::size_t e, bool) {
        scale = t.clip(g, b, e, p0.squares + p1.squares, h.core == 0);
      });
      gmax *= scale;
    }
    h.next = t.optim_.next_bounds({t.bounds_.w, gmax, t.bounds_.s1, t.bounds_.s2}, h.step);
    if (!safe(h.next)) { // as step_whole: measure what the bounds estimate (both cores decide alike)
      h.before = t.measure_ranges(h.core);
      sync();
      optim::bounds now = combine(p0.before, p1.before);
      now.g = gmax;
      h.next = t.optim_.next_bounds(now, h.step);
    }
    h.guarded = !safe(h.next);
    T* w = t.net_->parameters().data();
    Net::for_each_update_range(h.core, [&](std::size_t b, std::size_t e, bool) {
      if (h.guarded) t.back_up(b, e);
      t.optim_.step(w, g, t.state_.data(), Net::param_size, h.step, b, e);
    });
    if (!h.guarded) return;
    h.measured = t.measure_ranges(h.core);
    h.finite_update = finite(h.measured);
    sync();
    if (p0.finite_update && p1.finite_update) return;
    Net::for_each_update_range(h.core, [&](std::size_t b, std::size_t e, bool) { t.restore(b, e); });
  }

  /// The metric's running sum over the last step's outputs.
  double last_step_metric(std::size_t n) const noexcept {
    return loss_.metric_sum(last_outputs_, Net::output_stride, targets_.data(), Net::output_size, n);
  }

  // ---- choosing between one and two threads ----

  static constexpr std::size_t min_split_rows = 8;  ///< below this a half is not worth a thread
  static constexpr int probe_steps = 8;             ///< a probe runs the other mode this many steps ...
  static constexpr int probe_warmup = 2;            ///< ... ignoring the first ones (cold caches, wake-up)
  static constexpr int min_exploit = 256;           ///< then the faster mode runs at least this many steps,
  static constexpr int max_exploit = 16384;         ///< growing 4x up to this while probes keep losing
  static constexpr double clearly_slower = 1.5;     ///< a step this much slower than the other mode ends a
  static constexpr int slow_steps_to_fall_back = 3; ///< probe at once, an exploited split after this many

  /// Whether this step runs split. A small state machine: probe one thread, probe split, then
  /// alternate between exploiting the faster mode and probing the other one. Probes are bursts
  /// (a single step in the other mode runs cold and would misjudge it); a probe ends at its first
  /// step that is clearly slower (a busy second core can stall the helper for a whole time
  /// slice), and each lost probe quadruples the time until the next one, so falling back costs
  /// next to nothing. While split is exploited every step is still watched: when the second
  /// core gets busy, the split falls back to one thread at once rather than at the next probe.
  bool use_split() noexcept {
    if (!adaptive_) return true;
    if (++steps_in_mode_ > (probing_ ? probe_steps : exploit_steps_)) end_phase();
    return split_mode_;
  }
  void end_phase() noexcept {
    steps_in_mode_ = 1;
    if (probing_ && ns_per_sample_[1] == 0) {
      split_mode_ = true; // one thread measured first (the safe mode), now the split
    } else if (probing_) {
      probing_ = false;
      const bool faster_split = ns_per_sample_[1] < ns_per_sample_[0];
      exploit_steps_ = faster_split == split_mode_ ? min_exploit : std::min(4 * exploit_steps_, max_exploit);
      split_mode_ = faster_split;
    } else {
      probing_ = true;
      split_mode_ = !split_mode_;
    }
    helper_->keep_spinning(split_mode_); // an idle helper must not take the core from others
  }
  /// Leaves an exploited split for one thread (the next probe of the split comes as usual).
  void fall_back() noexcept {
    split_mode_ = false;
    steps_in_mode_ = 1;
    slow_streak_ = 0;
    helper_->keep_spinning(false);
  }
  void record(bool split, std::chrono::steady_clock::duration d, std::size_t n) noexcept {
    const double v = std::chrono::duration<double, std::nano>(d).count() / double(n);
    const double other = ns_per_sample_[split ? 0 : 1];
    double& ema = ns_per_sample_[split ? 1 : 0];
    if (other > 0 && v > clearly_slower * other) { // clearly slower than the other mode
      if (probing_) {                              // a probe loses at once
        ema = std::max(ema, v);
        steps_in_mode_ = probe_steps;
      } else if (split && ++slow_streak_ >= slow_steps_to_fall_back) { // a busy core, not a hiccup
        ema = std::max(ema, v);
        fall_back();
      }
      return; // a lone outlier (an interrupt, a page fault) stays out of the average
    }
    slow_streak_ = 0;
    if (probing_ && steps_in_mode_ <= probe_warmup) return;
    ema = ema == 0 ? v : 0.75 * ema + 0.25 * v;
    if (!probing_ && split && ema > other) fall_back();
  }

  template <class Dataset>
  static void validate(const Dataset& data, const char* caller, const char* which) {
    const std::string who = std::string("ctnn::trainer::") + caller + ": ";
    if (data.empty()) throw std::invalid_argument(who + "the " + which + " dataset is empty");
    for (std::size_t i = 0; i < data.size(); ++i) {
      const T* x = data.input(i);
      for (std::size_t k = 0; k < Dataset::input_size; ++k)
        if (!std::isfinite(x[k]))
          throw std::invalid_argument(who + which + " sample " + std::to_string(i) + " has a non-finite input (" +
                                      std::to_string(double(x[k])) + " at element " + std::to_string(k) + ")");
    }
    for (std::size_t i = 0; i < data.size(); ++i)
      if (!Loss::template valid_target<T>(data.target(i), Net::output_size))
        throw std::invalid_argument(who + which + " sample " + std::to_string(i) + " has a target that " +
                                    Loss::name() + " cannot take (value " + std::to_string(double(data.target(i)[0])) +
                                    ")");
  }

  /// evaluate on data whose targets were validated.
  template <class Dataset>
  evaluation evaluate_valid(const Dataset& data) {
    return evaluate_rows(*net_, loss_, data);
  }
  /// Loss and metrics of network n on data (targets validated): inference only, in its own
  /// workspace of at most 256 rows, none of the training scratch.
  template <class Dataset>
  static evaluation evaluate_rows(const Net& network, const Loss& loss, const Dataset& data) {
    const Net* net_ = &network;
    const Loss& loss_ = loss;
    auto ws = net_->make_inference_workspace(std::min<std::size_t>(data.size(), 256));
    double loss_sum = 0, metric_sum = 0;
    constexpr bool multi_label = Loss::kind == task::binary && Net::output_size != 1; // no confusion matrix
    detail::metric_accumulator metrics(Loss::kind, Net::output_size);
    for (std::size_t at = 0; at < data.size(); at += ws.capacity()) {
      const std::size_t n = std::min(ws.capacity(), data.size() - at);
      const T* y = net_->forward_batch(ws, data.input(at), n);
      if constexpr (!multi_label) metrics.add(y, Net::output_stride, data.target(at), Dataset::target_size, n);
      loss_sum += double(loss_.value_and_gradient(y, Net::output_stride, data.target(at), Net::output_size,
                                                  static_cast<T*>(nullptr), n)) *
                  double(n);
      metric_sum += loss_.metric_sum(y, Net::output_stride, data.target(at), Net::output_size, n);
    }
    evaluation e{loss_sum / double(data.size()), Loss::finish_metric(metric_sum, data.size(), Net::output_size)};
    if constexpr (!multi_label) {
      e.classification = metrics.classification();
      e.regression = metrics.regression();
    }
    return e;
  }

  template <class M, class U, class D, class L>
  friend evaluation evaluate(const net<M, U>& n, const D& data, const L& loss);

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
  aligned_buffer<T> backup_; ///< parameters, then state, of a guarded update
  optim::bounds bounds_{};   ///< what the last update left (see safe())
  workspace<T> ws_;
  std::size_t target_size_ = 0;
  const T* last_outputs_ = nullptr; ///< the last step's outputs (in ws_)
  std::int64_t steps_ = 0;
  double clip_norm_ = 0, last_norm_ = 0;                           ///< set_clip_grad_norm; the last step's global norm
  double clip_value_ = 0;                                          ///< set_clip_grad_value
  std::uint64_t noise_seed_ = 1;                                   ///< the seed of dropout masks (train's seed)
  regularization penalties_{};                                     ///< set_regularization (for the whole network)
  std::array<regularization, Net::stage_count> layer_penalties_{}; ///< each stage's
  // two-thread training (set_threads)
  std::unique_ptr<worker> helper_;
  spin_barrier barrier_;
  part* parts_[2] = {nullptr, nullptr}; ///< the two parts of the split step under way
  aligned_buffer<T> grads2_;            ///< core 1's gradients of the stages split by rows
  bool adaptive_ = true;
  double ns_per_sample_[2] = {0, 0};         ///< moving averages: [0] one thread, [1] split
  bool split_mode_ = false, probing_ = true; // starts by measuring one thread
  int steps_in_mode_ = 0, exploit_steps_ = min_exploit, slow_streak_ = 0;
};

/// Loss and metrics of `n` on `data` under `loss`, without a trainer or an optimizer: what
/// trainer::evaluate returns (accuracy, precision, recall, F1 and the confusion matrix for
/// classification losses; RMSE and MAE for regression ones). Throws std::invalid_argument for an
/// empty dataset, a non-finite input or a target the loss cannot take (naming the sample).
template <class M, class U, class D, class L>
evaluation evaluate(const net<M, U>& n, const D& data, const L& loss) {
  using fit = trainer<net<M, U>, L, optim::sgd>;
  if constexpr (!fit::template fits<D>()) {
    return {};
  } else {
    fit::validate(data, "evaluate", "evaluation");
    return fit::evaluate_rows(n, loss, data);
  }
}

} // namespace CTNN_NAMESPACE
