// Central finite differences in double against the analytic backward pass of a whole network:
// the gradient of a loss with respect to every parameter, on a batch of random samples.
#pragma once

#include <ctnn/ctnn.hpp>

#include "support.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

namespace ctnn::test {
namespace nn = ctnn;

inline constexpr double eps = 1e-6;
inline constexpr double tolerance = 1e-6; // |numeric - analytic| / max(1, |analytic|)

/// Targets the loss accepts: class indices for cross-entropy, values in [0, 1] otherwise.
/// (Loss: bound to the network; loss::heads gives each head's targets in turn.)
template <class Loss>
inline std::vector<double> make_targets(std::size_t n, std::size_t out, std::size_t target_size) {
  if constexpr (nn::detail::per_head_loss<Loss>) {
    std::vector<double> t(n * target_size);
    [&]<std::size_t... H>(std::index_sequence<H...>) {
      (
          [&] {
            const auto head =
                make_targets<typename Loss::template loss_at<H>>(n, Loss::out_sizes[H], Loss::target_sizes[H]);
            for (std::size_t r = 0; r < n; ++r)
              std::copy_n(head.data() + r * Loss::target_sizes[H], Loss::target_sizes[H],
                          t.data() + r * target_size + Loss::template target_start<H>);
          }(),
          ...);
    }
    (std::make_index_sequence<Loss::head_count>{});
    return t;
  }
  nn::rng g(77);
  std::vector<double> t(n * target_size);
  constexpr bool classes = std::is_same_v<Loss, nn::loss::softmax_cross_entropy> || std::is_same_v<Loss, nn::loss::nll>;
  for (auto& v : t) v = classes ? double(g.below(out)) : g.uniform(0, 1);
  return t;
}

/// Checks d loss / d parameters of Model under Loss on a batch of 3 random samples.
template <class Model, class Loss>
void check_network(std::uint64_t seed) {
  using net_t = nn::net<Model, double>;
  using bound = nn::detail::bound_loss_t<Loss, net_t>; // loss::heads: bound to the heads
  const bound loss = nn::detail::bound_loss<Loss, net_t>::bind(Loss{});
  constexpr std::size_t n = 3, out = net_t::output_size;
  constexpr std::size_t target_size = bound::template expected_target<typename Model::output_shape>::size;
  auto net = nn::make<Model, double>(nn::init::pytorch_default{}, seed);
  auto ws = net.make_workspace(n);
  const auto x = nn::test::random_values<double>(n * net_t::input_size, seed + 1, -2, 2);
  const auto t = make_targets<bound>(n, out, target_size);

  const double* y = net.forward_train(ws, x.data(), n);
  loss.value_and_gradient(y, net_t::output_stride, t.data(), out, ws.output_gradient(), n);
  nn::aligned_buffer<double> grads(net_t::param_size);
  net.backward(ws, x.data(), n, grads.data());
  net_t as_logical; // reads the stored-layout gradient in PyTorch order
  std::copy(grads.begin(), grads.end(), as_logical.parameters().begin());
  const auto analytic = as_logical.export_parameters();

  auto loss_at = [&](const std::vector<double>& p) {
    net.import_parameters(p);
    const double* yy = net.forward_train(ws, x.data(), n);
    return loss.value_and_gradient(yy, net_t::output_stride, t.data(), out, static_cast<double*>(nullptr), n);
  };
  const auto p0 = net.export_parameters();
  double worst = 0;
  for (std::size_t j = 0; j < p0.size(); ++j) {
    auto p = p0;
    p[j] = p0[j] + eps;
    const double up = loss_at(p);
    p[j] = p0[j] - eps;
    const double down = loss_at(p);
    const double numeric = (up - down) / (2 * eps);
    worst = std::max(worst, std::abs(numeric - analytic[j]) / std::max(1.0, std::abs(analytic[j])));
  }
  BOOST_TEST(worst <= tolerance);
}

/// Checks net::backward_input: d loss / d input of Model under Loss on a batch of 3 random
/// samples, against central differences of the input; and that it leaves the parameters as they
/// were (it is const) and the caller's gradient buffers untouched (it has none).
template <class Model, class Loss>
void check_input_gradient(std::uint64_t seed) {
  using net_t = nn::net<Model, double>;
  using bound = nn::detail::bound_loss_t<Loss, net_t>; // loss::heads: bound to the heads
  const bound loss = nn::detail::bound_loss<Loss, net_t>::bind(Loss{});
  constexpr std::size_t n = 3, out = net_t::output_size, in = net_t::input_size;
  constexpr std::size_t target_size = bound::template expected_target<typename Model::output_shape>::size;
  const auto net = nn::make<Model, double>(nn::init::pytorch_default{}, seed);
  auto ws = net.make_workspace(n);
  auto x = nn::test::random_values<double>(n * in, seed + 1, -2, 2);
  const auto t = make_targets<bound>(n, out, target_size);
  const double* y = net.forward_train(ws, x.data(), n);
  loss.value_and_gradient(y, net_t::output_stride, t.data(), out, ws.output_gradient(), n);
  std::vector<double> dx(n * in, -1);
  net.backward_input(ws, x.data(), n, dx.data());
  auto loss_at = [&] {
    const double* yy = net.forward_train(ws, x.data(), n);
    return loss.value_and_gradient(yy, net_t::output_stride, t.data(), out, static_cast<double*>(nullptr), n);
  };
  double worst = 0;
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double keep = x[j];
    x[j] = keep + eps;
    const double up = loss_at();
    x[j] = keep - eps;
    const double down = loss_at();
    x[j] = keep;
    worst = std::max(worst, std::abs((up - down) / (2 * eps) - dx[j]) / std::max(1.0, std::abs(dx[j])));
  }
  BOOST_TEST(worst <= tolerance);
}

} // namespace ctnn::test
