// One parameter update, guarded: the L1/L2 penalties, clipping by value and by global norm, the
// optimizer's step over the trainable ranges, and a guard against overflow that rolls the update
// back when it would leave a parameter or the optimizer state non-finite. trainer and gan_trainer
// both update through it, so every step of either gets the same guards.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/aligned_buffer.hpp>
#include <ctnn/kernels/simd.hpp>
#include <ctnn/runtime/two_cores.hpp>
#include <ctnn/train/optim.hpp>
#include <ctnn/train/options.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace CTNN_NAMESPACE::detail {

// A step with finite gradients can still overflow the weights (a huge learning rate, huge
// inputs): the promise that the last good weights are kept must hold for them too. Checking
// after the update needs the old values to roll back, and copying the parameters and state
// every step would cost a pass over them. Instead each step bounds its result first
// (optim::bounds: the exact max |w| the last update wrote, the max |g| the gradient check
// measured, bounds on the state); far from overflow the update runs as it is. Otherwise (the
// first step, whose |w| is unknown, and any step near overflow) the parameters and state of
// the range are backed up, updated, checked and, if anything became non-finite, restored.

/// The update of Net's parameters by Optim, with its state (moments, step count, bounds) and its
/// settings (clipping, penalties). apply() is the whole update on one core; the members after it
/// are its pieces, which a step split over two cores runs range by range (trainer::run_part).
template <class Net, class Optim>
class guarded_update {
public:
  using T = typename Net::value_type;

  /// What apply() did: the penalty added to the loss, and whether the gradients were finite and
  /// the update was applied (else nothing changed).
  struct outcome {
    double penalty = 0;
    bool finite_gradients = true;
    bool finite_update = true;
  };

  guarded_update(Net& network, Optim optimizer)
      : net_(&network), optim_(optimizer), state_(Optim::template state_size<T>(Net::param_size)),
        backup_(Net::param_size + Optim::template state_size<T>(Net::param_size)) {
    validate_optimizer();
  }

  const Optim& optimizer() const noexcept { return optim_; }
  Optim& optimizer() noexcept { return optim_; }
  /// The optimizer's settings, as PyTorch checks them (a user's optimizer may have no validate()).
  void validate_optimizer() const {
    if constexpr (requires { optim_.validate(); }) optim_.validate();
  }
  /// The optimizer's state (Optim::slots slots, stored layout), its step count and the bounds the
  /// last update left: what a checkpoint saves and resume() restores.
  aligned_buffer<T>& state() noexcept { return state_; }
  const aligned_buffer<T>& state() const noexcept { return state_; }
  std::int64_t steps() const noexcept { return steps_; }
  const optim::bounds& bounds() const noexcept { return bounds_; }
  void restore_progress(std::int64_t steps, const optim::bounds& b) noexcept {
    steps_ = steps;
    bounds_ = b;
  }
  /// Forgets what is known of the parameters' magnitudes (they were changed from outside).
  void parameters_changed() noexcept { bounds_ = {}; }

  // ---- settings ----
  void set_clip_grad_norm(double max_norm) {
    if (!(max_norm >= 0)) throw std::invalid_argument("ctnn::trainer::set_clip_grad_norm: max_norm must be >= 0");
    clip_norm_ = max_norm;
  }
  double clip_grad_norm() const noexcept { return clip_norm_; }
  void set_clip_grad_value(double clip_value) {
    if (!(clip_value >= 0)) throw std::invalid_argument("ctnn::trainer::set_clip_grad_value: clip_value must be >= 0");
    clip_value_ = clip_value;
  }
  double clip_grad_value() const noexcept { return clip_value_; }
  /// Penalties on every stage's trainable parameters.
  void set_regularization(const regularization& r) {
    check_penalties(r);
    penalties_ = r;
    stage_penalties_.fill(r);
  }
  /// Penalties on stage s only.
  void set_stage_regularization(std::size_t s, const regularization& r) {
    check_penalties(r);
    stage_penalties_[s] = r;
  }
  const regularization& regularization_terms() const noexcept { return penalties_; }
  const regularization& stage_regularization(std::size_t s) const noexcept { return stage_penalties_[s]; }
  /// The global gradient norm of the last step, before clipping (0 until a step with clipping on).
  double last_grad_norm() const noexcept { return last_norm_; }

  /// The whole update on one core, from the gradients g of the loss (g gets the penalties' terms
  /// and is clipped in place): nothing changes unless g is finite and the update leaves every
  /// parameter and state value finite.
  outcome apply(T* g) noexcept {
    outcome o;
    o.penalty = adjust(g, 0, Net::param_size);
    // A finite loss can still come with infinite gradients (e.g. an infinite input into a
    // saturating activation); updating with them would silently corrupt every weight.
    double gmax = magnitude(g, Net::param_size);
    if (!std::isfinite(gmax)) {
      o.finite_gradients = false;
      return o;
    }
    if (clip_norm_ > 0) gmax *= clip(g, 0, Net::param_size, squared_norm(g, 0, Net::param_size));
    const std::int64_t t = steps_ + 1;
    optim::bounds next = optim_.next_bounds({bounds_.w, gmax, bounds_.s1, bounds_.s2}, t);
    if (!safe(next)) { // the bounds may only be loose: measure what they estimate
      optim::bounds now = measure(0, Net::param_size);
      now.g = gmax;
      next = optim_.next_bounds(now, t);
    }
    const bool guarded = !safe(next);
    if (guarded) back_up(0, Net::param_size);
    Net::for_each_trainable_stage([&](std::size_t, std::size_t b, std::size_t e) { step_range(g, t, b, e); });
    if (guarded) {
      next = measure(0, Net::param_size);
      if (!finite(next)) {
        restore(0, Net::param_size);
        o.finite_update = false;
        return o;
      }
    }
    commit(next, t);
    return o;
  }

  // ---- the pieces, for an update split over ranges ----

  /// The optimizer's step t over [b, e).
  void step_range(const T* g, std::int64_t t, std::size_t b, std::size_t e) noexcept {
    optim_.step(net_->parameters().data(), g, state_.data(), Net::param_size, t, b, e);
  }
  /// Records a finished step t and the bounds it left.
  void commit(const optim::bounds& next, std::int64_t t) noexcept {
    bounds_ = next;
    steps_ = t;
  }
  /// The bounds after step t from gradients of magnitude gmax, starting from the last ones.
  optim::bounds next_bounds(double gmax, std::int64_t t) const noexcept {
    return optim_.next_bounds({bounds_.w, gmax, bounds_.s1, bounds_.s2}, t);
  }
  optim::bounds next_bounds_from(const optim::bounds& now, std::int64_t t) const noexcept {
    return optim_.next_bounds(now, t);
  }

  /// Whether next (the bounds after the step) is far from T's overflow threshold.
  static bool safe(const optim::bounds& next) noexcept {
    constexpr double limit = double(std::numeric_limits<T>::max()) / 1024;
    return next.w < limit && next.s1 < limit && next.s2 < limit; // false for NaN
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
    two_core_passes<typename Net::model, T>::for_each_update_range(
        core, [&](std::size_t b, std::size_t e, bool) { m = combine(m, measure(b, e)); });
    return m;
  }
  /// The gradient terms of the L1/L2 penalties (each stage's own, on its trainable parameters)
  /// and clipping by value, over [b, e) of g; returns the penalty of the parameters there (0
  /// without penalties).
  double adjust(T* g, std::size_t b, std::size_t e) noexcept {
    double penalty = 0;
    const T* w = net_->parameters().data();
    Net::for_each_trainable_stage([&](std::size_t s, std::size_t sb, std::size_t se) {
      const regularization& r = stage_penalties_[s];
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
  static double squared_norm(const T* g, std::size_t b, std::size_t e) noexcept {
    double s = 0;
    for (std::size_t i = b; i < e; ++i) s += double(g[i]) * double(g[i]);
    return s;
  }
  static double max_or_nan(double a, double b) noexcept {
    return std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b);
  }
  static optim::bounds combine(const optim::bounds& a, const optim::bounds& b) noexcept {
    return {max_or_nan(a.w, b.w), max_or_nan(a.g, b.g), max_or_nan(a.s1, b.s1), max_or_nan(a.s2, b.s2)};
  }
  static bool finite(const optim::bounds& b) noexcept {
    return std::isfinite(b.w) && std::isfinite(b.s1) && std::isfinite(b.s2);
  }

private:
  static void check_penalties(const regularization& r) {
    if (!(r.l1 >= 0) || !(r.l2 >= 0))
      throw std::invalid_argument("ctnn::trainer::set_regularization: l1 and l2 must be >= 0");
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

  Net* net_;
  Optim optim_;
  aligned_buffer<T> state_;
  aligned_buffer<T> backup_; ///< parameters, then state, of a guarded update
  optim::bounds bounds_{};   ///< what the last update left (see safe())
  std::int64_t steps_ = 0;
  double clip_norm_ = 0, last_norm_ = 0;                           ///< set_clip_grad_norm; the last step's global norm
  double clip_value_ = 0;                                          ///< set_clip_grad_value
  regularization penalties_{};                                     ///< set_regularization (for the whole network)
  std::array<regularization, Net::stage_count> stage_penalties_{}; ///< each stage's
};

} // namespace CTNN_NAMESPACE::detail
