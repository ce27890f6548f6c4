// Learning-rate schedules, each equal to PyTorch's scheduler for the same settings, stepped once
// per epoch: train_options{.schedule = schedule::cosine{.t_max = 50, .warmup = 5}}. Epoch e
// (0-based) trains with the rate the schedule gives for e; the report records it.
#pragma once

#include <ctnn/core/config.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <variant>

namespace CTNN_NAMESPACE::schedule {

/// The optimizer's own learning rate throughout (the default).
struct constant {};

/// StepLR(step_size, gamma): lr = base gamma^floor(e / step_size).
struct step {
  std::size_t step_size = 10;
  double gamma = 0.1;
};

/// ExponentialLR(gamma): lr = base gamma^e.
struct exponential {
  double gamma = 0.9;
};

/// CosineAnnealingLR(t_max, eta_min): lr = eta_min + (base - eta_min) (1 + cos(pi e / t_max)) / 2.
/// With warmup > 0, first LinearLR(start_factor = warmup_start_factor, total_iters = warmup),
/// then the cosine from epoch `warmup` on (PyTorch's SequentialLR of the two, milestone warmup):
/// lr = base (f + (1 - f) e / warmup) for e < warmup, the cosine at e - warmup after.
struct cosine {
  std::size_t t_max = 50;
  double eta_min = 0;
  std::size_t warmup = 0;
  double warmup_start_factor = 1.0 / 3;
};

/// ReduceLROnPlateau(mode='min', factor, patience, threshold, threshold_mode='rel', cooldown,
/// min_lr, eps), on the validation loss (the training loss without validation data): after
/// more than `patience` epochs without a relative improvement of `threshold`, lr *= factor.
struct plateau {
  double factor = 0.1;
  std::size_t patience = 10;
  double threshold = 1e-4;
  std::size_t cooldown = 0;
  double min_lr = 0;
  double eps = 1e-8;
};

using any = std::variant<constant, step, exponential, cosine, plateau>;

/// What a schedule carries between epochs (reduce-on-plateau's memory; saved in checkpoints).
struct state {
  double lr = 0;                                         ///< the rate of the coming epoch
  double best = std::numeric_limits<double>::infinity(); ///< plateau: best monitored loss so far
  std::size_t bad_epochs = 0, cooldown_left = 0;         ///< plateau
};

namespace detail {
inline double cosine_at(double base, const cosine& c, std::size_t e) noexcept {
  return c.eta_min + (base - c.eta_min) * (1 + std::cos(std::numbers::pi * double(e) / double(c.t_max))) / 2;
}
} // namespace detail

/// The rate of epoch e (0-based) for the closed-form schedules (not plateau, which depends on
/// the losses: see advance).
inline double rate(const any& s, double base, std::size_t e) noexcept {
  if (const auto* p = std::get_if<step>(&s))
    return base * std::pow(p->gamma, double(e / std::max<std::size_t>(p->step_size, 1)));
  if (const auto* p = std::get_if<exponential>(&s)) return base * std::pow(p->gamma, double(e));
  if (const auto* p = std::get_if<cosine>(&s)) {
    if (e < p->warmup) {
      const double f = p->warmup_start_factor;
      return base * (f + (1 - f) * double(e) / double(p->warmup));
    }
    return detail::cosine_at(base, *p, e - p->warmup);
  }
  return base;
}

/// Throws std::invalid_argument("ctnn::schedule::<name>: ...") for settings PyTorch's schedulers
/// refuse or that would give no learning rate (a zero period, a non-positive factor, NaN).
inline void validate(const any& s) {
  auto require = [](bool ok, const char* which, const std::string& message, double value) {
    if (!ok)
      throw std::invalid_argument(std::string("ctnn::schedule::") + which + ": " + message + ", got " +
                                  std::to_string(value));
  };
  if (const auto* p = std::get_if<step>(&s)) {
    require(p->step_size >= 1, "step", "step_size must be at least 1", double(p->step_size));
    require(p->gamma > 0 && std::isfinite(p->gamma), "step", "gamma must be a positive number", p->gamma);
  } else if (const auto* p = std::get_if<exponential>(&s)) {
    require(p->gamma > 0 && std::isfinite(p->gamma), "exponential", "gamma must be a positive number", p->gamma);
  } else if (const auto* p = std::get_if<cosine>(&s)) {
    require(p->t_max >= 1, "cosine", "t_max must be at least 1", double(p->t_max));
    require(p->eta_min >= 0 && std::isfinite(p->eta_min), "cosine", "eta_min must be a number >= 0", p->eta_min);
    require(p->warmup_start_factor > 0 && p->warmup_start_factor <= 1, "cosine",
            "Starting multiplicative factor expected to be greater than 0 and less or equal to 1",
            p->warmup_start_factor);
  } else if (const auto* p = std::get_if<plateau>(&s)) {
    require(p->factor > 0 && p->factor < 1, "plateau", "Factor should be < 1.0 (and > 0)", p->factor);
    require(p->threshold >= 0 && std::isfinite(p->threshold), "plateau", "threshold must be a number >= 0",
            p->threshold);
    require(p->min_lr >= 0 && std::isfinite(p->min_lr), "plateau", "min_lr must be a number >= 0", p->min_lr);
    require(p->eps >= 0 && std::isfinite(p->eps), "plateau", "eps must be a number >= 0", p->eps);
  }
}

/// The state before epoch 0.
inline state start(const any& s, double base) noexcept {
  state st;
  st.lr = std::holds_alternative<plateau>(s) ? base : rate(s, base, 0);
  return st;
}

/// After epoch e (0-based) ended with `monitored` loss: st.lr becomes epoch e + 1's rate.
inline void advance(const any& s, state& st, double base, std::size_t e, double monitored) noexcept {
  const auto* p = std::get_if<plateau>(&s);
  if (!p) {
    st.lr = rate(s, base, e + 1);
    return;
  }
  if (monitored < st.best * (1 - p->threshold)) {
    st.best = monitored;
    st.bad_epochs = 0;
  } else {
    ++st.bad_epochs;
  }
  if (st.cooldown_left > 0) {
    --st.cooldown_left;
    st.bad_epochs = 0;
  }
  if (st.bad_epochs > p->patience) {
    const double reduced = std::max(st.lr * p->factor, p->min_lr);
    if (st.lr - reduced > p->eps) st.lr = reduced;
    st.cooldown_left = p->cooldown;
    st.bad_epochs = 0;
  }
}

} // namespace CTNN_NAMESPACE::schedule
