// Choosing between one thread and a step split over two, from the steps' measured costs: pure
// logic (no clock, no thread), so that a test can drive it with made-up timings.
#pragma once

#include <ctnn/core/config.hpp>

#include <algorithm>
#include <cstddef>
#include <utility>

namespace CTNN_NAMESPACE::detail {

/// Whether each step runs split. A small state machine: probe one thread, probe split, then
/// alternate between exploiting the faster mode and probing the other one. Probes are bursts (a
/// single step in the other mode runs cold and would misjudge it); a probe ends at its first step
/// that is clearly slower (a busy second core can stall the helper for a whole time slice), and
/// each lost probe quadruples the time until the next one, so falling back costs next to nothing.
/// While split is exploited every step is still watched: when the second core gets busy, the
/// split falls back to one thread at once rather than at the next probe. Not adaptive: always
/// split.
class thread_policy {
public:
  static constexpr std::size_t min_split_rows = 8;  ///< below this a half is not worth a thread
  static constexpr int probe_steps = 8;             ///< a probe runs the other mode this many steps ...
  static constexpr int probe_warmup = 2;            ///< ... ignoring the first ones (cold caches, wake-up)
  static constexpr int min_exploit = 256;           ///< then the faster mode runs at least this many steps,
  static constexpr int max_exploit = 16384;         ///< growing 4x up to this while probes keep losing
  static constexpr double clearly_slower = 1.5;     ///< a step this much slower than the other mode ends a
  static constexpr int slow_steps_to_fall_back = 3; ///< probe at once, an exploited split after this many

  explicit thread_policy(bool adaptive = true) noexcept : adaptive_(adaptive) {}

  /// Starts over (adaptive: by measuring one thread).
  void reset(bool adaptive) noexcept { *this = thread_policy{adaptive}; }
  bool adaptive() const noexcept { return adaptive_; }
  /// The mode of the current phase: whether a helper thread should be kept spinning.
  bool split_mode() const noexcept { return !adaptive_ || split_mode_; }
  bool probing() const noexcept { return probing_; }
  /// Steps the faster mode runs before the next probe of the other.
  int exploit_steps() const noexcept { return exploit_steps_; }
  /// Nanoseconds per sample of a step on one thread and split over two (moving averages; 0 until
  /// measured).
  std::pair<double, double> costs() const noexcept { return {ns_per_sample_[0], ns_per_sample_[1]}; }

  /// Whether the next step (of n samples) runs split.
  bool use_split(std::size_t n) noexcept {
    if (n < 2 * min_split_rows) return false;
    if (!adaptive_) return true;
    if (++steps_in_mode_ > (probing_ ? probe_steps : exploit_steps_)) end_phase();
    return split_mode_;
  }

  /// What a step cost, in the mode it ran (ignored when not adaptive).
  void record(bool split, double ns_per_sample) noexcept {
    if (!adaptive_) return;
    const double v = ns_per_sample;
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

private:
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
  }
  /// Leaves an exploited split for one thread (the next probe of the split comes as usual).
  void fall_back() noexcept {
    split_mode_ = false;
    steps_in_mode_ = 1;
    slow_streak_ = 0;
  }

  bool adaptive_ = true;
  double ns_per_sample_[2] = {0, 0};         ///< moving averages: [0] one thread, [1] split
  bool split_mode_ = false, probing_ = true; // starts by measuring one thread
  int steps_in_mode_ = 0, exploit_steps_ = min_exploit, slow_streak_ = 0;
};

} // namespace CTNN_NAMESPACE::detail
