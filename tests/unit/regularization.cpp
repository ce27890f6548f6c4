// dropout<Num, Den> and layer_norm in the runtime. dropout is the identity at inference (the same
// outputs as the network without it, in every inference path); in training, elements are zeroed
// with probability p and the rest scaled by 1 / (1 - p), with masks reproducible from the
// trainer's seed and equal on one core or two. layer_norm on a sequence streams step by step.
// L1/L2 penalties on one layer move that layer's weights only, by exactly their gradient terms.
#define BOOST_TEST_MODULE regularization
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include <cmath>
#include <vector>

namespace nn = ctnn;

namespace {
using with = nn::network<nn::input<nn::shape<12>>, nn::dense<64>, nn::relu, nn::dropout<1, 4>, nn::dense<3>>;
using without = nn::network<nn::input<nn::shape<12>>, nn::dense<64>, nn::relu, nn::dense<3>>;
static_assert(with::param_count == without::param_count);

std::vector<float> inputs(std::size_t n, std::uint64_t seed) {
  nn::rng g(seed);
  std::vector<float> x(n * 12);
  for (auto& v : x) v = float(g.uniform(-1, 1));
  return x;
}
} // namespace

BOOST_AUTO_TEST_CASE(inference_is_the_network_without_dropout) {
  const auto a = nn::make<with>(nn::init::pytorch_default{}, 5);
  nn::net<without> b;
  b.import_parameters(a.export_parameters());
  const auto x = inputs(20, 1);
  for (std::size_t r = 0; r < 20; ++r) {
    const float* xr = x.data() + r * 12;
    float ya[3], yb[3];
    a(xr, ya);
    b(xr, yb);
    for (int k = 0; k < 3; ++k) BOOST_TEST(ya[k] == yb[k]);
  }
  auto wa = a.make_workspace(20);
  auto wb = b.make_workspace(20);
  std::vector<float> pa(60), pb(60);
  a.predict(wa, x.data(), pa.data(), 20);
  b.predict(wb, x.data(), pb.data(), 20);
  BOOST_TEST(pa == pb);
}

BOOST_AUTO_TEST_CASE(training_zeroes_p_and_scales_the_rest) {
  using model = nn::network<nn::input<nn::shape<256>>, nn::dropout<1, 4>>;
  nn::net<model, double> n;
  auto ws = n.make_workspace(64);
  std::vector<double> x(64 * 256, 1.5);
  ws.set_noise_seed(7);
  const double* y = n.forward_train(ws, x.data(), 64);
  std::size_t zeros = 0;
  for (std::size_t r = 0; r < 64; ++r)
    for (std::size_t k = 0; k < 256; ++k) {
      const double v = y[r * nn::net<model, double>::output_stride + k];
      BOOST_TEST((v == 0.0 || v == 1.5 / 0.75));
      zeros += v == 0.0;
    }
  // 16384 Bernoulli(0.25) draws: mean 4096, standard deviation 55; 5 sigma either way
  BOOST_TEST(std::abs(double(zeros) - 4096.0) < 5 * 55.4, zeros);
  // the same seed gives the same mask, another seed another
  std::vector<double> first(y, y + 64 * nn::net<model, double>::output_stride);
  ws.set_noise_seed(7);
  const double* again = n.forward_train(ws, x.data(), 64);
  BOOST_TEST(std::equal(first.begin(), first.end(), again));
  ws.set_noise_seed(8);
  const double* other = n.forward_train(ws, x.data(), 64);
  BOOST_TEST(!std::equal(first.begin(), first.end(), other));
}

BOOST_AUTO_TEST_CASE(a_seed_reproduces_a_run_on_one_core_or_two) {
  nn::dataset<float, nn::shape<12>, nn::shape<3>> data;
  const auto x = inputs(256, 3);
  nn::rng g(4);
  for (std::size_t r = 0; r < 256; ++r) {
    const float t[3] = {float(g.uniform(-1, 1)), float(g.uniform(-1, 1)), float(g.uniform(-1, 1))};
    data.push_back(std::span<const float, 12>(x.data() + r * 12, 12), std::span<const float, 3>(t, 3));
  }
  auto run = [&](std::size_t threads, std::uint64_t seed) {
    auto net = nn::make<with>(nn::init::pytorch_default{}, 9);
    nn::trainer fit{net, nn::loss::mse{}, nn::optim::sgd{.lr = 0.05}};
    fit.set_threads(threads, false);
    (void)fit.train(data, {.epochs = 3, .batch = 64, .seed = seed, .log = nullptr});
    return net.export_parameters();
  };
  const auto one = run(1, 11), again = run(1, 11), other = run(1, 12), two = run(2, 11);
  BOOST_TEST(one == again);
  BOOST_TEST(one != other);
  double worst = 0;
  for (std::size_t i = 0; i < one.size(); ++i) worst = std::max(worst, double(std::abs(one[i] - two[i])));
  BOOST_TEST(worst < 1e-5, "two cores draw the same masks: " << worst);
}

BOOST_AUTO_TEST_CASE(streams_skip_dropout) {
  using seq_with = nn::network<nn::input<nn::sequence<6, 2>>, nn::lstm<8>, nn::dropout<1, 2>, nn::last, nn::dense<1>>;
  using seq_without = nn::network<nn::input<nn::sequence<6, 2>>, nn::lstm<8>, nn::last, nn::dense<1>>;
  const auto a = nn::make<seq_with>(nn::init::pytorch_default{}, 2);
  nn::net<seq_without> b;
  b.import_parameters(a.export_parameters());
  auto sa = a.make_state();
  auto sb = b.make_state();
  for (int t = 0; t < 6; ++t) {
    const nn::tensor<float, nn::shape<2>> x{float(t) * 0.1f, -0.2f};
    BOOST_TEST(a.step(sa, x)[0] == b.step(sb, x)[0]);
  }
}

BOOST_AUTO_TEST_CASE(streams_normalize_each_step_as_the_whole_sequence_does) {
  // layer_norm on a sequence is per step, so stepping gives the whole-sequence forward's values
  using model = nn::network<nn::input<nn::sequence<5, 3>>, nn::rnn<6>, nn::layer_norm, nn::last, nn::dense<2>>;
  auto net = nn::make<model>(nn::init::pytorch_default{}, 3);
  auto p = net.export_parameters();
  for (std::size_t i = 3 * 6 + 6 * 6 + 12; i < 3 * 6 + 6 * 6 + 12 + 12; ++i)
    p[i] = 0.5f + 0.1f * float(i % 5); // gamma, beta
  net.import_parameters(p);
  nn::tensor<float, nn::shape<5, 3>> xs;
  for (std::size_t i = 0; i < xs.size(); ++i) xs[i] = std::sin(float(i));
  nn::tensor<float, nn::sequence<5, 3>> seq;
  std::copy(xs.begin(), xs.end(), seq.begin());
  const auto whole = net(seq);
  auto state = net.make_state();
  nn::tensor<float, nn::shape<2>> y{};
  for (std::size_t t = 0; t < 5; ++t) y = net.step(state, {xs[t * 3], xs[t * 3 + 1], xs[t * 3 + 2]});
  for (std::size_t k = 0; k < 2; ++k) BOOST_TEST(std::abs(y[k] - whole[k]) < 1e-5f);
}

BOOST_AUTO_TEST_CASE(penalties_of_one_layer_touch_that_layer_only) {
  using model = nn::network<nn::input<nn::shape<4>>, nn::dense<5>, nn::tanh, nn::dense<2>>;
  constexpr std::size_t first = model::layer_params(1); // values of layer 1 in export_parameters
  nn::dataset<double, nn::shape<4>, nn::shape<2>> data;
  nn::rng g(3);
  for (int i = 0; i < 6; ++i)
    data.push_back({g.uniform(-1, 1), g.uniform(-1, 1), g.uniform(-1, 1), g.uniform(-1, 1)},
                   {g.uniform(-1, 1), g.uniform(-1, 1)});
  const auto start = nn::make<model, double>(nn::init::pytorch_default{}, 2);
  const auto w0 = start.export_parameters();
  constexpr double lr = 0.1, l1 = 0.01, l2 = 0.05;
  auto step = [&](auto&& configure) {
    auto n = start;
    nn::trainer fit{n, nn::loss::mse{}, nn::optim::sgd{.lr = lr}};
    configure(fit);
    const auto report = fit.train(data, {.epochs = 1, .batch = 6, .shuffle = false, .log = nullptr});
    return std::pair{n.export_parameters(), report.history[0].train.loss};
  };
  const auto [plain, plain_loss] = step([](auto&) {});
  const auto [last, last_loss] = step([&](auto& fit) { fit.template set_regularization<3>({.l1 = l1, .l2 = l2}); });
  double penalty = 0;
  for (std::size_t i = 0; i < w0.size(); ++i) {
    if (i < first) {
      BOOST_TEST(last[i] == plain[i]); // layer 1: no penalty
    } else {
      const double grad = (w0[i] - plain[i]) / lr;
      const double sign = double(w0[i] > 0) - double(w0[i] < 0);
      BOOST_TEST(std::abs(last[i] - (w0[i] - lr * (grad + l1 * sign + 2 * l2 * w0[i]))) <= 1e-12);
      penalty += l1 * std::abs(w0[i]) + l2 * w0[i] * w0[i];
    }
  }
  BOOST_TEST(std::abs(last_loss - (plain_loss + penalty)) <= 1e-12);
  // every layer's own penalties equal the network's
  const auto [each, each_loss] = step([&](auto& fit) {
    fit.template set_regularization<1>({.l1 = l1, .l2 = l2});
    fit.template set_regularization<3>({.l1 = l1, .l2 = l2});
  });
  const auto [whole, whole_loss] = step([&](auto& fit) { fit.set_regularization({.l1 = l1, .l2 = l2}); });
  BOOST_TEST(each == whole);
  BOOST_TEST(each_loss == whole_loss);
}
