// per_step<Layer> on sequences: every step through the same vector layer, in net(x), in training,
// in streams (beside recurrent layers and activations, inside blocks), and in weight files.
#define BOOST_TEST_MODULE unit_per_step
#include <boost/test/unit_test.hpp>

#include "../support/streams.hpp"
#include "../support/support.hpp"

#include <ctnn/ctnn.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace nn = ctnn;

using nn::test::stream_difference;

BOOST_AUTO_TEST_CASE(every_step_through_the_same_dense_layer) {
  using seq = nn::network<nn::input<nn::sequence<5, 4>>, nn::per_step<nn::dense<3>>, nn::tanh>;
  using vec = nn::network<nn::input<nn::shape<4>>, nn::dense<3>, nn::tanh>;
  static_assert(std::is_same_v<seq::output_shape, nn::sequence<5, 3>>);
  static_assert(seq::param_count == vec::param_count && seq::macs == 5 * vec::macs);
  auto a = nn::make<seq, double>(nn::init::pytorch_default{}, 1);
  nn::net<vec, double> b(a.export_parameters()); // the same values, in PyTorch's order
  BOOST_TEST(a.layer<1>().weight(2, 3) == b.layer<1>().weight(2, 3));
  const auto x = nn::test::random_values<double>(20, 2, -2, 2);
  nn::net<seq, double>::input_type xs;
  std::copy(x.begin(), x.end(), xs.begin());
  const auto y = a(xs);
  double worst = 0;
  for (std::size_t t = 0; t < 5; ++t) {
    nn::net<vec, double>::input_type xt;
    std::copy_n(x.data() + 4 * t, 4, xt.begin());
    const auto yt = b(xt);
    for (std::size_t k = 0; k < 3; ++k) worst = std::max(worst, std::abs(y[3 * t + k] - yt[k]));
  }
  BOOST_TEST(worst == 0.0);
}

BOOST_AUTO_TEST_CASE(streams_equal_the_whole_sequence) {
  // per-step layers, standalone activations and one-slope prelu step beside recurrent layers ...
  using out_per_step = nn::network<nn::input<nn::sequence<7, 3>>, nn::lstm<6>, nn::tanh, nn::per_step<nn::dense<4>>,
                                   nn::relu, nn::gru<5>, nn::per_step<nn::dense<2>>>;
  // ... before `last` ...
  using out_once = nn::network<nn::input<nn::sequence<7, 3>>, nn::per_step<nn::dense<8>>, nn::gelu, nn::prelu,
                               nn::rnn<5>, nn::sigmoid, nn::last, nn::dense<2>>;
  // ... and inside blocks
  using in_block = nn::network<nn::input<nn::sequence<7, 4>>, nn::residual<nn::per_step<nn::dense<4>>, nn::tanh>,
                               nn::lstm<3>, nn::per_step<nn::dense<1>>>;
  const auto x = nn::test::random_values<double>(7 * 4, 5, -2, 2);
  BOOST_TEST(stream_difference(nn::make<out_per_step, double>(nn::init::pytorch_default{}, 2), x.data()) <= 1e-12);
  BOOST_TEST(stream_difference(nn::make<out_once, double>(nn::init::pytorch_default{}, 3), x.data()) <= 1e-12);
  BOOST_TEST(stream_difference(nn::make<in_block, double>(nn::init::pytorch_default{}, 4), x.data()) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(trains_on_sequence_targets) {
  // each step's target is the running sum of its inputs: an LSTM with a per-step head learns it
  using model = nn::network<nn::input<nn::sequence<6, 1>>, nn::lstm<12>, nn::per_step<nn::dense<1>>>;
  nn::dataset<float, nn::sequence<6, 1>, nn::sequence<6, 1>> data;
  nn::rng gen(9);
  for (int s = 0; s < 256; ++s) {
    std::array<float, 6> x{}, t{};
    float sum = 0;
    for (int k = 0; k < 6; ++k) {
      x[k] = float(gen.uniform(-1, 1));
      t[k] = sum += x[k] * 0.5f;
    }
    data.push_back(x, t);
  }
  auto net = nn::make<model>(nn::init::pytorch_default{}, 5);
  const double before = nn::evaluate(net, data, nn::loss::mse{}).loss;
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  fit.train(data, {.epochs = 60, .batch = 32, .seed = 4, .log = nullptr});
  const double after = nn::evaluate(net, data, nn::loss::mse{}).loss;
  BOOST_TEST_MESSAGE("per-step mse " << before << " -> " << after);
  BOOST_TEST(after < before / 20);
}

BOOST_AUTO_TEST_CASE(weight_files_name_the_per_step_layer) {
  using model = nn::network<nn::input<nn::sequence<4, 2>>, nn::gru<3>, nn::per_step<nn::dense<2>>>;
  using other = nn::network<nn::input<nn::sequence<4, 2>>, nn::gru<3>, nn::last, nn::dense<2>>;
  static_assert(model::param_count == other::param_count);
  BOOST_TEST(nn::net<model>::fingerprint() != nn::net<other>::fingerprint());
  BOOST_TEST(nn::net<model>::fingerprint()[3].find("per_step<dense<2>>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(batch_norm_on_every_step_trains_on_two_cores_as_on_one) {
  // per_step<batch_norm> needs the whole batch's statistics: on two cores one core runs it
  using model = nn::network<nn::input<nn::sequence<6, 3>>, nn::per_step<nn::dense<8>>, nn::per_step<nn::batch_norm>,
                            nn::relu, nn::gru<6>, nn::per_step<nn::dense<2>>>;
  nn::dataset<double, nn::sequence<6, 3>, nn::sequence<6, 2>> data;
  nn::rng gen(4);
  for (int s = 0; s < 96; ++s) {
    std::array<double, 18> x{};
    std::array<double, 12> t{};
    for (auto& v : x) v = gen.uniform(-1, 1);
    for (int k = 0; k < 6; ++k) t[2 * k] = x[3 * k] - x[3 * k + 1], t[2 * k + 1] = x[3 * k + 2];
    data.push_back(x, t);
  }
  auto one = nn::make<model, double>(nn::init::pytorch_default{}, 6), two = one;
  for (auto* n : {&one, &two}) {
    nn::trainer fit{*n, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
    fit.set_threads(n == &one ? 1 : 2, false);
    fit.train(data, {.epochs = 3, .batch = 32, .shuffle = false, .log = nullptr});
  }
  const auto a = one.export_parameters(), b = two.export_parameters();
  double worst = 0;
  for (std::size_t k = 0; k < a.size(); ++k) worst = std::max(worst, std::abs(a[k] - b[k]));
  BOOST_TEST(worst <= 1e-9); // the running statistics (buffers) included
  const auto start = nn::make<model, double>(nn::init::pytorch_default{}, 6).export_parameters();
  BOOST_TEST((a != start)); // it trained
}
