// What a training run is asked to do: train_options (epochs, batch, validation, early stopping,
// seed, threads, clipping, schedule, logging, checkpoints, callbacks) and the settings they hold.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/train/schedule.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <ostream>
#include <string>

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
  /// Quantization-aware training (ctnn/train/quantization_aware.hpp): each step's forward and
  /// backward passes see every dense and conv weight fake-quantized per output channel as
  /// ctnn::quantize will (int8, symmetric), the update goes to the float weights (straight-through
  /// estimator). Runs on one core. Needs a network ctnn::quantize takes (else train() throws
  /// std::invalid_argument naming the layer), or one of ctnn::quantize_sparse's form, whose
  /// scheme it then simulates (weights in steps of 1/127 and 1/64, the int8 ones within +-127/64).
  bool quantization_aware = false;
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

} // namespace CTNN_NAMESPACE
