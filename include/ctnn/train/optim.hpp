// Optimizers with PyTorch 1.13's exact update formulas, each one vectorized loop over the flat
// parameter array (gradients and state mirror its layout). Hyperparameters are double, so that a
// double network trains exactly as PyTorch in float64; they are rounded to T once per step.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/kernels/simd.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace CTNN_NAMESPACE::optim {

namespace detail {
/// Throws std::invalid_argument("ctnn::optim::<name>: <message>") unless ok: the settings
/// PyTorch's optimizers refuse (torch.optim's messages), refused here too.
inline void require(bool ok, const std::string& optimizer, const std::string& message, double value) {
  if (!ok) throw std::invalid_argument("ctnn::optim::" + optimizer + ": " + message + ": " + std::to_string(value));
}
/// The settings every optimizer shares: lr, eps and weight_decay at least 0 (NaN refused).
inline void require_common(const std::string& optimizer, double lr, double eps, double weight_decay) {
  require(lr >= 0, optimizer, "Invalid learning rate", lr);
  require(eps >= 0, optimizer, "Invalid epsilon value", eps);
  require(weight_decay >= 0, optimizer, "Invalid weight_decay value", weight_decay);
}
inline void require_betas(const std::string& optimizer, double beta1, double beta2) {
  require(beta1 >= 0 && beta1 < 1, optimizer, "Invalid beta parameter at index 0", beta1);
  require(beta2 >= 0 && beta2 < 1, optimizer, "Invalid beta parameter at index 1", beta2);
}
/// Applies f to registers of every array (vector part), then to single elements (tail).
/// f is generic: it receives xsimd batches, then scalars.
template <class T, class F>
CTNN_ALWAYS_INLINE void for_each_register(std::size_t begin, std::size_t end, F&& f) noexcept {
  using V = kernels::simd<T>;
  // Counted loops: with `i + size <= end` GCC 12 could not rule out wrap-around once ranges
  // became constants (two cores updating halves) and warned of undefined behaviour.
  const std::size_t count = end > begin ? end - begin : 0, full = count / V::size * V::size;
  for (std::size_t k = 0; k < full; k += V::size) f(begin + k, V{});
  for (std::size_t k = full; k < count; ++k) f(begin + k, T{});
}
/// One slot of optimizer state for n parameters, padded so the next slot stays aligned.
template <class T>
constexpr std::size_t slot(std::size_t n) noexcept {
  return kernels::round_up(n, alignment / sizeof(T));
}
template <class V, class T>
CTNN_ALWAYS_INLINE V load(const T* p) noexcept {
  if constexpr (std::is_same_v<V, T>)
    return *p;
  else
    return V::load_aligned(p);
}
template <class V, class T>
CTNN_ALWAYS_INLINE void store(T* p, const V& v) noexcept {
  if constexpr (std::is_same_v<V, T>)
    *p = v;
  else
    v.store_aligned(p);
}
} // namespace detail

/// Upper bounds on the magnitudes an optimizer step works with: the largest |w|, the largest |g|
/// (measured by the trainer's gradient check) and the largest state values (momentum or first
/// moment, second moment). next_bounds advances them through one step by the update's own
/// formulas applied to magnitudes (triangle inequality), so they cost nothing per parameter.
/// The trainer takes a step as it is while the bounds stay far from overflow; otherwise it
/// measures |w| exactly and, if still needed, backs up the parameters and state first and rolls
/// the step back if it made anything non-finite. An infinite or NaN bound means "unknown".
struct bounds {
  double w = INFINITY; ///< max |w| (unknown until measured)
  double g = 0;        ///< max |g| of the step's gradient
  double s1 = 0, s2 = 0;
};

/// SGD: g += wd w; with momentum b = g (first step), then b = mu b + (1 - dampening) g;
/// g = nesterov ? g + mu b : b;  w -= lr g.
struct sgd {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  bool nesterov = false;
  double weight_decay = 0.0;

  static std::string name() { return "sgd"; }
  /// Throws std::invalid_argument for settings PyTorch refuses (the trainer calls it).
  void validate() const {
    detail::require_common(name(), lr, 0, weight_decay);
    detail::require(momentum >= 0, name(), "Invalid momentum value", momentum);
    detail::require(!nesterov || (momentum > 0 && dampening == 0), name(),
                    "Nesterov momentum requires a momentum and zero dampening; momentum", momentum);
  }
  /// Elements of (aligned) optimizer state for n parameters: the momentum buffer.
  template <class T>
  static constexpr std::size_t state_size(std::size_t n) noexcept {
    return detail::slot<T>(n);
  }

  static constexpr std::size_t slots = 1; ///< state slots of state_size (the momentum buffer)

  /// Bounds after step t from those before it (b.g: this step's max |g|).
  bounds next_bounds(const bounds& b, std::int64_t t) const noexcept {
    const double g = b.g + std::abs(weight_decay) * b.w;
    bounds n = b;
    double u = g;
    if (momentum != 0) {
      n.s1 = t == 1 ? g : std::abs(momentum) * b.s1 + std::abs(1.0 - dampening) * g;
      u = nesterov ? g + std::abs(momentum) * n.s1 : n.s1;
    }
    n.w = b.w + std::abs(lr) * u;
    return n;
  }

  /// One update of n parameters, or of those in [begin, end) (begin a multiple of the register
  /// width: two threads may update two ranges at once); t is the 1-based step number. w, g and
  /// state (state_size<T>(n) elements, laid out for all n) are aligned to CTNN_ALIGNMENT.
  template <class T>
  void step(T* w, const T* g, T* state, std::size_t n, std::int64_t t, std::size_t begin = 0,
            std::size_t end = std::size_t(-1)) const noexcept {
    const T lr_ = T(lr), mu = T(momentum), damp = T(1.0 - dampening), wd = T(weight_decay);
    detail::for_each_register<T>(begin, std::min(end, n), [&](std::size_t i, auto tag) {
      using V = decltype(tag);
      V wv = detail::load<V>(w + i);
      V gv = detail::load<V>(g + i);
      if (wd != T(0)) gv = gv + V(wd) * wv;
      if (mu != T(0)) {
        V b = t == 1 ? gv : V(mu) * detail::load<V>(state + i) + V(damp) * gv;
        detail::store(state + i, b);
        gv = nesterov ? gv + V(mu) * b : b;
      }
      detail::store(w + i, V(wv - V(lr_) * gv));
    });
  }
};

namespace detail {
/// Adam's moment update and step; `decoupled` selects AdamW's weight decay.
template <class T>
CTNN_ALWAYS_INLINE void adam_step(T* w, const T* g, T* state, std::size_t n, std::size_t begin, std::size_t end,
                                  std::int64_t t, double lr, double beta1, double beta2, double eps,
                                  double weight_decay, bool decoupled) noexcept {
  // As PyTorch: bias corrections in double, denom = sqrt(v) / sqrt(bc2) + eps, except that the
  // division by sqrt(bc2) is a multiplication by its inverse (one ulp at most; it leaves one
  // division and one square root per register, the costly part of the step).
  const double bc1 = 1.0 - std::pow(double(beta1), double(t));
  const double bc2 = 1.0 - std::pow(double(beta2), double(t));
  const T step_size = T(double(lr) / bc1), inv_bc2_sqrt = T(1.0 / std::sqrt(bc2));
  const T b1 = T(beta1), b2 = T(beta2), e = T(eps), wd = T(weight_decay);
  const T one_minus_b1 = T(1.0 - beta1), one_minus_b2 = T(1.0 - beta2); // as PyTorch's alpha=1-beta
  const T shrink = T(1.0 - lr * weight_decay);
  T* m = state;
  T* v = state + slot<T>(n);
  for_each_register<T>(begin, std::min(end, n), [&](std::size_t i, auto tag) {
    using V = decltype(tag);
    using std::sqrt;
    V wv = load<V>(w + i), gv = load<V>(g + i);
    if (wd != T(0)) {
      if (decoupled)
        wv = wv * V(shrink);
      else
        gv = gv + V(wd) * wv;
    }
    const V mv = V(b1) * load<V>(m + i) + V(one_minus_b1) * gv;
    const V vv = V(b2) * load<V>(v + i) + V(one_minus_b2) * gv * gv;
    store(m + i, mv);
    store(v + i, vv);
    const V denom = sqrt(vv) * V(inv_bc2_sqrt) + V(e);
    store(w + i, V(wv - V(step_size) * (mv / denom)));
  });
}

/// Adam's bounds (see optim::bounds): the moments are running averages of g and g^2, and the
/// step is at most lr / bc1 * |m| / eps (the denominator is at least eps).
inline bounds adam_next_bounds(const bounds& b, std::int64_t t, double lr, double beta1, double beta2, double eps,
                               double weight_decay, bool decoupled) noexcept {
  const double g = b.g + (decoupled ? 0.0 : std::abs(weight_decay) * b.w);
  bounds n = b;
  n.s1 = beta1 * b.s1 + (1.0 - beta1) * g;
  n.s2 = beta2 * b.s2 + (1.0 - beta2) * g * g;
  const double shrink = decoupled ? std::abs(1.0 - lr * weight_decay) : 1.0;
  n.w = shrink * b.w + std::abs(lr) / (1.0 - std::pow(beta1, double(t))) * n.s1 / eps;
  return n;
}
} // namespace detail

/// Adam (torch.optim.Adam, Decoupled = false): g += wd w; m = b1 m + (1 - b1) g;
/// v = b2 v + (1 - b2) g^2; w -= lr mhat / (sqrt(vhat) + eps), with the bias corrections of step t.
/// AdamW (torch.optim.AdamW, Decoupled = true): w *= 1 - lr wd first, then Adam's step without the
/// L2 term; weight decay 0.01 by default. One template, spelled optim::adam and optim::adamw:
/// `optim::adam{.lr = 1e-3}`.
template <bool Decoupled>
struct adam_family {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = Decoupled ? 1e-2 : 0.0;

  static std::string name() { return Decoupled ? "adamw" : "adam"; }
  void validate() const {
    detail::require_common(name(), lr, eps, weight_decay);
    detail::require_betas(name(), beta1, beta2);
  }
  /// Two aligned slots: first and second moments.
  template <class T>
  static constexpr std::size_t state_size(std::size_t n) noexcept {
    return 2 * detail::slot<T>(n);
  }
  static constexpr std::size_t slots = 2;
  bounds next_bounds(const bounds& b, std::int64_t t) const noexcept {
    return detail::adam_next_bounds(b, t, lr, beta1, beta2, eps, weight_decay, Decoupled);
  }
  template <class T>
  void step(T* w, const T* g, T* state, std::size_t n, std::int64_t t, std::size_t begin = 0,
            std::size_t end = std::size_t(-1)) const noexcept {
    detail::adam_step(w, g, state, n, begin, end, t, lr, beta1, beta2, eps, weight_decay, Decoupled);
  }
};
using adam = adam_family<false>;
using adamw = adam_family<true>;

/// RMSprop (torch.optim.RMSprop): g += wd w; v = alpha v + (1 - alpha) g^2; with centered,
/// a = alpha a + (1 - alpha) g and the denominator sqrt(v - a^2) + eps, else sqrt(v) + eps; with
/// momentum b = mu b + g / denom and w -= lr b, else w -= lr g / denom.
struct rmsprop {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0.0;
  double momentum = 0.0;
  bool centered = false;

  static std::string name() { return "rmsprop"; }
  void validate() const {
    detail::require_common(name(), lr, eps, weight_decay);
    detail::require(momentum >= 0, name(), "Invalid momentum value", momentum);
    detail::require(alpha >= 0, name(), "Invalid alpha value", alpha);
  }
  /// Three aligned slots: the square average, the gradient average (centered), the momentum buffer.
  template <class T>
  static constexpr std::size_t state_size(std::size_t n) noexcept {
    return 3 * detail::slot<T>(n);
  }
  static constexpr std::size_t slots = 3;
  /// s1 bounds the first slot (the square average), s2 the others (gradient average, momentum
  /// buffer), as the trainer measures them. The denominator is at least sqrt((1 - alpha) g^2)
  /// for the current g (not centered: each element's step is at most lr / sqrt(1 - alpha));
  /// centered, at least eps.
  bounds next_bounds(const bounds& b, std::int64_t) const noexcept {
    const double g = b.g + std::abs(weight_decay) * b.w;
    bounds n = b;
    n.s1 = alpha * b.s1 + (1.0 - alpha) * g * g;
    const double ratio = centered || alpha >= 1.0 ? g / eps : 1.0 / std::sqrt(1.0 - alpha);
    const double step = momentum != 0 ? std::abs(momentum) * b.s2 + ratio : ratio;
    n.s2 = std::max({b.s2, g, step});
    n.w = b.w + std::abs(lr) * step;
    return n;
  }
  template <class T>
  void step(T* w, const T* g, T* state, std::size_t n, std::int64_t, std::size_t begin = 0,
            std::size_t end = std::size_t(-1)) const noexcept {
    const T lr_ = T(lr), a = T(alpha), one_minus_a = T(1.0 - alpha), e = T(eps), wd = T(weight_decay), mu = T(momentum);
    T* sq = state;
    T* avg = state + detail::slot<T>(n);
    T* buf = state + 2 * detail::slot<T>(n);
    detail::for_each_register<T>(begin, std::min(end, n), [&](std::size_t i, auto tag) {
      using V = decltype(tag);
      using std::sqrt;
      V wv = detail::load<V>(w + i), gv = detail::load<V>(g + i);
      if (wd != T(0)) gv = gv + V(wd) * wv;
      const V v = V(a) * detail::load<V>(sq + i) + V(one_minus_a) * gv * gv;
      detail::store(sq + i, v);
      V denom;
      if (centered) {
        const V ga = V(a) * detail::load<V>(avg + i) + V(one_minus_a) * gv;
        detail::store(avg + i, ga);
        denom = sqrt(v - ga * ga) + V(e);
      } else {
        denom = sqrt(v) + V(e);
      }
      if (mu != T(0)) {
        const V bv = V(mu) * detail::load<V>(buf + i) + gv / denom;
        detail::store(buf + i, bv);
        detail::store(w + i, V(wv - V(lr_) * bv));
      } else {
        detail::store(w + i, V(wv - V(lr_) * (gv / denom)));
      }
    });
  }
};

/// Adagrad (torch.optim.Adagrad): g += wd w; s = s + g^2 (the first step starts from
/// initial_accumulator_value); w -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps).
struct adagrad {
  double lr = 1e-2;
  double lr_decay = 0.0;
  double weight_decay = 0.0;
  double initial_accumulator_value = 0.0;
  double eps = 1e-10;

  static std::string name() { return "adagrad"; }
  void validate() const {
    detail::require_common(name(), lr, eps, weight_decay);
    detail::require(lr_decay >= 0, name(), "Invalid lr_decay value", lr_decay);
    detail::require(initial_accumulator_value >= 0, name(), "Invalid initial_accumulator_value value",
                    initial_accumulator_value);
  }
  template <class T>
  static constexpr std::size_t state_size(std::size_t n) noexcept {
    return detail::slot<T>(n);
  }
  static constexpr std::size_t slots = 1; ///< the sum of squared gradients
  /// s >= g^2 for the current g: each element's step is at most lr / (1 + (t - 1) lr_decay).
  /// s1 bounds the sum (the one slot).
  bounds next_bounds(const bounds& b, std::int64_t t) const noexcept {
    const double g = b.g + std::abs(weight_decay) * b.w;
    bounds n = b;
    n.s1 = (t == 1 ? std::abs(initial_accumulator_value) : b.s1) + g * g;
    n.w = b.w + std::abs(lr / (1.0 + double(t - 1) * lr_decay));
    return n;
  }
  template <class T>
  void step(T* w, const T* g, T* state, std::size_t n, std::int64_t t, std::size_t begin = 0,
            std::size_t end = std::size_t(-1)) const noexcept {
    const T clr = T(lr / (1.0 + double(t - 1) * lr_decay)), e = T(eps), wd = T(weight_decay),
            init = T(initial_accumulator_value);
    detail::for_each_register<T>(begin, std::min(end, n), [&](std::size_t i, auto tag) {
      using V = decltype(tag);
      using std::sqrt;
      V wv = detail::load<V>(w + i), gv = detail::load<V>(g + i);
      if (wd != T(0)) gv = gv + V(wd) * wv;
      const V sv = (t == 1 ? V(init) : detail::load<V>(state + i)) + gv * gv;
      detail::store(state + i, sv);
      detail::store(w + i, V(wv - V(clr) * (gv / (sqrt(sv) + V(e)))));
    });
  }
};

} // namespace CTNN_NAMESPACE::optim
