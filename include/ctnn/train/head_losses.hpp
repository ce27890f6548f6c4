// loss::heads<Ls...>: one loss per head of a network that ends in heads<...>, with weights.
// `trainer fit{net, loss::heads<loss::softmax_cross_entropy, loss::mse>{.weights = {1, 0.5}}, ...};`
// minimizes weights[0] * L0(head 0) + weights[1] * L1(head 1) + ..., each loss the mean over its
// own head (PyTorch's `w0 * F.cross_entropy(policy, t0) + w1 * F.mse_loss(value, t1)`). A
// sample's target row holds each head's target in turn (here: the class index, then the value).
//
// The trainer binds the losses to the network's head shapes (detail::bound_loss): the bound
// loss is a loss like any other (value_and_gradient over whole rows) that also reports each
// head's loss and metric.
#pragma once

#include <ctnn/core/config.hpp>

#include <ctnn/core/shape.hpp>
#include <ctnn/dsl/type_list.hpp>
#include <ctnn/train/loss.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <utility>

namespace CTNN_NAMESPACE {
namespace loss {

namespace detail {
template <std::size_t N>
constexpr std::array<double, N> ones() noexcept {
  std::array<double, N> w{};
  w.fill(1.0);
  return w;
}
} // namespace detail

/// One loss per head, in the heads' order, each with a weight (1 unless given).
template <class... Ls>
struct heads {
  static_assert(sizeof...(Ls) >= 1, "loss::heads<...>: give one loss per head");
  static constexpr std::size_t count = sizeof...(Ls);
  std::tuple<Ls...> losses{};
  std::array<double, sizeof...(Ls)> weights = detail::ones<sizeof...(Ls)>();

  static std::string name() {
    std::string s;
    ((s += (s.empty() ? "" : ", ") + Ls::name()), ...);
    return "heads<" + s + ">";
  }
};

namespace detail {
/// The loss and metric of one head over a data set (sums until finished).
struct head_sums {
  double loss = 0, metric = 0;
};

template <class Parts, class... Ls>
struct bound_heads;
/// loss::heads<Ls...> over heads of shapes Out...: a loss over whole rows (every head's
/// outputs, then padding; targets: every head's target in turn).
template <class... Out, class... Ls>
struct bound_heads<ctnn::detail::type_list<Out...>, Ls...> {
  static_assert(sizeof...(Out) == sizeof...(Ls));
  static constexpr std::size_t head_count = sizeof...(Ls);
  static constexpr std::array<std::size_t, head_count> out_sizes{Out::size...};
  static constexpr std::array<std::size_t, head_count> target_sizes{Ls::template expected_target<Out>::size...};
  template <std::size_t H>
  static constexpr std::size_t out_start = [] {
    std::size_t s = 0;
    for (std::size_t h = 0; h < H; ++h) s += out_sizes[h];
    return s;
  }();
  template <std::size_t H>
  static constexpr std::size_t target_start = [] {
    std::size_t s = 0;
    for (std::size_t h = 0; h < H; ++h) s += target_sizes[h];
    return s;
  }();
  static constexpr std::size_t out_size = (Out::size + ...);
  static constexpr std::size_t target_size = (Ls::template expected_target<Out>::size + ...);
  template <std::size_t H>
  using loss_at = ctnn::detail::type_at<H, Ls...>;

  heads<Ls...> settings;

  static std::string name() { return heads<Ls...>::name(); }
  template <Shape>
  using expected_target = shape<target_size>;
  /// The whole's metric is head 0's (each head's is in evaluation::heads).
  static constexpr const char* metric_name = loss_at<0>::metric_name;
  static constexpr task kind = loss_at<0>::kind;
  static constexpr std::array<const char*, head_count> metric_names{Ls::metric_name...};
  static constexpr std::array<task, head_count> kinds{Ls::kind...};

  /// sum_h weights[h] L_h; dy (stride ldy) = its gradient. Each head's loss is a mean over the
  /// rows, computed row by row: L_h = (1/n) sum_r L_h(row r).
  template <class T>
  T value_and_gradient(const T* y, std::size_t ldy, const T* t, std::size_t, T* dy, std::size_t n) const noexcept {
    T total = 0;
    for_each_head([&]<std::size_t H>() {
      const T w = T(settings.weights[H]);
      total += w * head_value<H>(y, ldy, t, dy, n, w / T(n)) / T(n);
    });
    if (dy)
      for (std::size_t r = 0; r < n; ++r) std::fill(dy + r * ldy + out_size, dy + (r + 1) * ldy, T(0));
    return total;
  }
  template <class T>
  static bool valid_target(const T* t, std::size_t) noexcept {
    bool ok = true;
    for_each_head(
        [&]<std::size_t H>() { ok = ok && loss_at<H>::template valid_target<T>(t + target_start<H>, out_sizes[H]); });
    return ok;
  }
  template <class T>
  double metric_sum(const T* y, std::size_t ldy, const T* t, std::size_t, std::size_t n) const noexcept {
    double s = 0;
    for (std::size_t r = 0; r < n; ++r)
      s += std::get<0>(settings.losses).metric_sum(y + r * ldy, out_sizes[0], t + r * target_size, out_sizes[0], 1);
    return s;
  }
  static double finish_metric(double sum, std::size_t n, std::size_t) noexcept {
    return loss_at<0>::finish_metric(sum, n, out_sizes[0]);
  }

  /// Adds each head's loss (times the rows) and metric sum over n rows to sums[h].
  template <class T>
  void add_head_sums(const T* y, std::size_t ldy, const T* t, std::size_t n, head_sums* sums) const noexcept {
    for_each_head([&]<std::size_t H>() {
      sums[H].loss += double(head_value<H>(y, ldy, t, static_cast<T*>(nullptr), n, T(0)));
      for (std::size_t r = 0; r < n; ++r)
        sums[H].metric += std::get<H>(settings.losses)
                              .metric_sum(y + r * ldy + out_start<H>, out_sizes[H],
                                          t + r * target_size + target_start<H>, out_sizes[H], 1);
    });
  }
  /// Head h's metric from its sum over n samples.
  static double finish_head_metric(std::size_t h, double sum, std::size_t n) noexcept {
    double m = 0;
    for_each_head([&]<std::size_t H>() {
      if (H == h) m = loss_at<H>::finish_metric(sum, n, out_sizes[H]);
    });
    return m;
  }

private:
  template <class F>
  static void for_each_head(F&& f) {
    [&]<std::size_t... H>(std::index_sequence<H...>) { (f.template operator()<H>(), ...); }
    (std::make_index_sequence<head_count>{});
  }
  /// Head H's loss summed over the rows; with dy, its gradient times `scale` into dy's columns.
  template <std::size_t H, class T>
  T head_value(const T* y, std::size_t ldy, const T* t, T* dy, std::size_t n, T scale) const noexcept {
    constexpr std::size_t o = out_sizes[H], at = out_start<H>;
    const auto& loss = std::get<H>(settings.losses);
    T sum = 0;
    for (std::size_t r = 0; r < n; ++r) {
      T* d = dy ? dy + r * ldy + at : nullptr;
      sum += loss.value_and_gradient(y + r * ldy + at, o, t + r * target_size + target_start<H>, o, d, 1);
      if (d)
        for (std::size_t k = 0; k < o; ++k) d[k] *= scale;
    }
    return sum;
  }
};
} // namespace detail
} // namespace loss

namespace detail {
/// A loss as the trainer uses it on a network of type Net: the loss itself, or loss::heads
/// bound to the network's head shapes. (A count that differs is check_trainable's diagnostic;
/// the loss is then bound to nothing usable and nothing else is reported.)
template <class Loss, class Net>
struct bound_loss {
  using type = Loss;
  static const Loss& bind(const Loss& l) noexcept { return l; }
};
template <class... Ls, class Net>
struct bound_loss<loss::heads<Ls...>, Net> {
  using parts = typename Net::output_parts;
  static constexpr bool fits = parts::size == sizeof...(Ls);
  using type = std::conditional_t<fits, loss::detail::bound_heads<parts, Ls...>, type_at<0, Ls...>>;
  static type bind(const loss::heads<Ls...>& l) {
    if constexpr (fits)
      return type{l};
    else
      return std::get<0>(l.losses);
  }
};
template <class Loss, class Net>
using bound_loss_t = typename bound_loss<Loss, Net>::type;

/// Whether a bound loss reports each head (loss::heads).
template <class Loss>
concept per_head_loss = requires {
  Loss::head_count;
};
/// The number of losses Loss gives: loss::heads' count, else 1.
template <class Loss>
inline constexpr std::size_t loss_count = 1;
template <class... Ls>
inline constexpr std::size_t loss_count<loss::heads<Ls...>> = sizeof...(Ls);
} // namespace detail

} // namespace CTNN_NAMESPACE
