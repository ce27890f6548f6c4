// Early stopping's judgement of an epoch: did the monitored loss improve on the best by more than
// min_delta, and has it failed to for `patience` epochs? (The trainer keeps the best weights.)
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/train/options.hpp>

#include <cstddef>

namespace CTNN_NAMESPACE::detail {

enum class epoch_verdict {
  improved,     ///< a new best: keep these weights
  not_improved, ///< no better, patience left (or early stopping off)
  stop          ///< no better for `patience` epochs in a row
};

/// The verdict on an epoch whose monitored loss is `monitored`, the best so far `best_loss`;
/// since_best counts the epochs without improvement (reset by an improvement).
inline epoch_verdict judge_epoch(const early_stopping_options& o, double monitored, double best_loss,
                                 std::size_t& since_best) noexcept {
  if (monitored < best_loss - o.min_delta) {
    since_best = 0;
    return epoch_verdict::improved;
  }
  if (o.patience && ++since_best >= o.patience) return epoch_verdict::stop;
  return epoch_verdict::not_improved;
}

} // namespace CTNN_NAMESPACE::detail
