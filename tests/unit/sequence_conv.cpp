// conv1d over time on sequences: equal to conv1d on the channel-major transpose for every option,
// and, causal at stride 1, stepped in streams exactly as the whole sequence runs, beside
// recurrent and per-step layers, one stream or many, without allocation.
#define BOOST_TEST_MODULE unit_sequence_conv
#include <boost/test/unit_test.hpp>

#include "../support/streams.hpp"
#include "../support/support.hpp"

#include <ctnn/ctnn.hpp>

#include <boost/mpl/list.hpp>

#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace nn = ctnn;

namespace {
template <std::size_t F, std::size_t K, class... Options>
struct conv_case {
  template <std::size_t Steps, std::size_t C>
  using over_time = nn::network<nn::input<nn::sequence<Steps, C>>, nn::conv1d<F, K, Options...>, nn::tanh>;
  template <std::size_t Steps, std::size_t C>
  using channel_major = nn::network<nn::input<nn::shape<C, Steps>>, nn::conv1d<F, K, Options...>, nn::tanh>;
};
using cases =
    boost::mpl::list<conv_case<5, 3, nn::causal, nn::dilation<2>>, conv_case<4, 2, nn::stride<2>, nn::padding<1>>,
                     conv_case<6, 3, nn::groups<2>, nn::same>, conv_case<4, 1, nn::groups<4>>,
                     conv_case<3, 4, nn::stride<3>, nn::dilation<2>, nn::causal>>;
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(over_time_equals_the_transposed_conv1d, Case, cases) {
  constexpr std::size_t steps = 11, channels = 4;
  using a_model = typename Case::template over_time<steps, channels>;
  using b_model = typename Case::template channel_major<steps, channels>;
  static_assert(a_model::param_count == b_model::param_count && a_model::macs == b_model::macs);
  constexpr std::size_t out_steps = b_model::output_shape::dims.extent[1],
                        filters = b_model::output_shape::dims.extent[0];
  static_assert(a_model::output_shape::dims == nn::dims{2, {out_steps, filters}, true});
  auto a = nn::make<a_model, double>(nn::init::pytorch_default{}, 3);
  nn::net<b_model, double> b(a.export_parameters()); // PyTorch's order: the same weight [F, C / G, K]
  const auto x = nn::test::random_values<double>(steps * channels, 4, -2, 2);
  typename nn::net<a_model, double>::input_type xa;
  typename nn::net<b_model, double>::input_type xb;
  for (std::size_t t = 0; t < steps; ++t)
    for (std::size_t c = 0; c < channels; ++c) xa[t * channels + c] = xb[c * steps + t] = x[t * channels + c];
  const auto ya = a(xa);
  const auto yb = b(xb);
  double worst = 0;
  for (std::size_t t = 0; t < out_steps; ++t)
    for (std::size_t f = 0; f < filters; ++f)
      worst = std::max(worst, std::abs(ya[t * filters + f] - yb[f * out_steps + t]));
  BOOST_TEST(worst <= 1e-13);
  // and the batched training forward gives the same outputs
  auto ws = a.make_workspace(3);
  std::vector<double> xs(3 * steps * channels);
  for (std::size_t r = 0; r < 3; ++r) std::copy(xa.begin(), xa.end(), xs.begin() + r * xa.size());
  const double* y = a.forward_train(ws, xs.data(), 3);
  constexpr std::size_t stride = nn::net<a_model, double>::output_stride;
  for (std::size_t k = 0; k < ya.size(); ++k) BOOST_TEST(y[2 * stride + k] == ya[k]);
}

namespace {
// a WaveNet-style stack: dilations 1, 2, 4, 8, kernel 3, causal, 8 channels
using tcn =
    nn::network<nn::input<nn::sequence<40, 1>>, nn::conv1d<8, 3, nn::causal>, nn::tanh,
                nn::conv1d<8, 3, nn::causal, nn::dilation<2>>, nn::tanh, nn::conv1d<8, 3, nn::causal, nn::dilation<4>>,
                nn::tanh, nn::conv1d<8, 3, nn::causal, nn::dilation<8>>, nn::tanh, nn::per_step<nn::dense<1>>>;
} // namespace

BOOST_AUTO_TEST_CASE(a_causal_stack_streams_exactly) {
  auto n = nn::make<tcn>(nn::init::pytorch_default{}, 7);
  const auto x = nn::test::random_values<float>(40, 8, -1, 1);
  BOOST_TEST(nn::test::stream_difference(n, x.data()) == 0.0); // the same taps in the same order: bit for bit
  // the ring holds (K - 1) d + 1 frames of each layer, and its position
  BOOST_TEST(sizeof(nn::net<tcn>::stream_state) >= (3 * 1 + 5 * 8 + 9 * 8 + 17 * 8 + 4) * sizeof(float));
  // many streams in one call equal each stream alone
  std::vector<nn::net<tcn>::stream_state> states(5), alone(5);
  std::vector<float> xs(5), ys(5);
  nn::rng gen(3);
  double worst = 0;
  for (int t = 0; t < 60; ++t) {
    for (auto& v : xs) v = float(gen.uniform(-1, 1));
    n.step(std::span<nn::net<tcn>::stream_state>(states), xs.data(), ys.data());
    for (std::size_t s = 0; s < 5; ++s) {
      const auto y1 = n.step(alone[s], nn::net<tcn>::step_input_type{xs[s]});
      worst = std::max(worst, double(std::abs(y1[0] - ys[s])));
    }
  }
  BOOST_TEST(worst == 0.0);
}

BOOST_AUTO_TEST_CASE(beside_recurrent_layers_and_in_blocks) {
  using mixed =
      nn::network<nn::input<nn::sequence<12, 3>>, nn::conv1d<6, 2, nn::causal, nn::dilation<3>>, nn::relu, nn::lstm<6>,
                  nn::conv1d<4, 3, nn::causal, nn::groups<2>>, nn::gru<3>, nn::last, nn::dense<2>>;
  using blocks =
      nn::network<nn::input<nn::sequence<12, 4>>, nn::residual<nn::conv1d<4, 3, nn::causal, nn::dilation<2>>, nn::tanh>,
                  nn::parallel<nn::concat, nn::branch<nn::conv1d<3, 2, nn::causal>>, nn::branch<nn::gru<2>>>,
                  nn::per_step<nn::dense<2>>>;
  const auto x = nn::test::random_values<double>(48, 9, -2, 2);
  BOOST_TEST(nn::test::stream_difference(nn::make<mixed, double>(nn::init::pytorch_default{}, 1), x.data()) <= 1e-12);
  BOOST_TEST(nn::test::stream_difference(nn::make<blocks, double>(nn::init::pytorch_default{}, 2), x.data()) <= 1e-12);
}

BOOST_AUTO_TEST_CASE(a_tcn_learns_a_delayed_sum) {
  // y_t = x_{t-2} + x_{t-5}: a causal dilated stack sees both lags
  using model = nn::network<nn::input<nn::sequence<16, 1>>, nn::conv1d<8, 3, nn::causal>, nn::tanh,
                            nn::conv1d<8, 3, nn::causal, nn::dilation<2>>, nn::tanh, nn::per_step<nn::dense<1>>>;
  nn::dataset<float, nn::sequence<16, 1>, nn::sequence<16, 1>> data;
  nn::rng gen(5);
  for (int s = 0; s < 256; ++s) {
    std::array<float, 16> x{}, t{};
    for (auto& v : x) v = float(gen.uniform(-1, 1));
    for (int k = 0; k < 16; ++k) t[k] = 0.5f * ((k >= 2 ? x[k - 2] : 0.f) + (k >= 5 ? x[k - 5] : 0.f));
    data.push_back(x, t);
  }
  auto net = nn::make<model>(nn::init::pytorch_default{}, 5);
  const double before = nn::evaluate(net, data, nn::loss::mse{}).loss;
  nn::trainer fit{net, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  fit.train(data, {.epochs = 40, .batch = 32, .seed = 4, .log = nullptr});
  const double after = nn::evaluate(net, data, nn::loss::mse{}).loss;
  BOOST_TEST_MESSAGE("delayed sum mse " << before << " -> " << after);
  BOOST_TEST(after < before / 20);
}

// ---- conv2d over a sequence of frames (sequence<Steps, Features, Channels>, channels last) ----

namespace {
template <std::size_t F, class Kernel, class... Options>
struct frame_case {
  template <std::size_t Steps, std::size_t Features, std::size_t C>
  using over_frames =
      nn::network<nn::input<nn::sequence<Steps, Features, C>>, nn::conv2d<F, Kernel, Options...>, nn::tanh>;
  template <std::size_t Steps, std::size_t Features, std::size_t C>
  using image = nn::network<nn::input<nn::shape<C, Steps, Features>>, nn::conv2d<F, Kernel, Options...>, nn::tanh>;
};
using frame_cases =
    boost::mpl::list<frame_case<5, nn::kernel<3>, nn::stride<1, 2>, nn::padding<1>>,
                     frame_case<4, nn::kernel<2, 3>, nn::dilation<2, 1>, nn::groups<2>>,
                     frame_case<3, nn::kernel<3, 2>, nn::same>, frame_case<6, nn::kernel<3>, nn::stride<2, 1>>>;
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_over_frames_equals_the_permuted_conv2d, Case, frame_cases) {
  constexpr std::size_t steps = 9, features = 7, channels = 4;
  using a_model = typename Case::template over_frames<steps, features, channels>;
  using b_model = typename Case::template image<steps, features, channels>;
  static_assert(a_model::param_count == b_model::param_count && a_model::macs == b_model::macs);
  constexpr auto out = b_model::output_shape::dims; // [filters, steps', features']
  constexpr std::size_t filters = out.extent[0], out_steps = out.extent[1], out_features = out.extent[2];
  static_assert(std::is_same_v<typename a_model::output_shape, nn::sequence<out_steps, out_features, filters>>);
  auto a = nn::make<a_model, double>(nn::init::pytorch_default{}, 3);
  nn::net<b_model, double> b(a.export_parameters()); // PyTorch's order: the same weight [F, C / G, KH, KW]
  const auto x = nn::test::random_values<double>(steps * features * channels, 4, -2, 2);
  typename nn::net<a_model, double>::input_type xa;
  typename nn::net<b_model, double>::input_type xb;
  for (std::size_t t = 0; t < steps; ++t)
    for (std::size_t f = 0; f < features; ++f)
      for (std::size_t c = 0; c < channels; ++c)
        xa[(t * features + f) * channels + c] = xb[(c * steps + t) * features + f] =
            x[(t * features + f) * channels + c];
  const auto ya = a(xa);
  const auto yb = b(xb);
  double worst = 0;
  for (std::size_t t = 0; t < out_steps; ++t)
    for (std::size_t f = 0; f < out_features; ++f)
      for (std::size_t o = 0; o < filters; ++o)
        worst = std::max(
            worst, std::abs(ya[(t * out_features + f) * filters + o] - yb[(o * out_steps + t) * out_features + f]));
  BOOST_TEST(worst <= 1e-13);
  auto ws = a.make_workspace(2);
  std::vector<double> xs(2 * xa.size());
  for (std::size_t r = 0; r < 2; ++r) std::copy(xa.begin(), xa.end(), xs.begin() + r * xa.size());
  const double* y = a.forward_train(ws, xs.data(), 2);
  constexpr std::size_t stride = nn::net<a_model, double>::output_stride;
  for (std::size_t k = 0; k < ya.size(); ++k) BOOST_TEST(y[stride + k] == ya[k]);
}

namespace {
// RTNeural's conv2d test model (its python/conv2d.py) in ctnn's spelling: causal in time, with
// batch_norm over the channels of each frame
using spectrogram_net =
    nn::network<nn::input<nn::sequence<50, 23, 1>>, nn::conv2d<2, nn::kernel<5>, nn::causal, nn::dilation<2, 1>>,
                nn::batch_norm, nn::relu,
                nn::conv2d<3, nn::kernel<4, 3>, nn::causal, nn::stride<1, 2>, nn::padding<0, 1>>, nn::batch_norm,
                nn::conv2d<1, nn::kernel<2, 3>, nn::causal, nn::dilation<3, 1>>>;
} // namespace

BOOST_AUTO_TEST_CASE(a_causal_conv2d_is_the_top_rows_of_the_padded_conv2d) {
  // causal pads time before the signal only: the first Steps rows of a conv2d padded on both sides
  using causal =
      nn::network<nn::input<nn::sequence<8, 6, 2>>,
                  nn::conv2d<3, nn::kernel<3>, nn::causal, nn::dilation<2, 1>, nn::stride<1, 2>, nn::padding<0, 1>>>;
  using padded = nn::network<nn::input<nn::shape<2, 8, 6>>,
                             nn::conv2d<3, nn::kernel<3>, nn::dilation<2, 1>, nn::stride<1, 2>, nn::padding<4, 1>>>;
  static_assert(std::is_same_v<causal::output_shape, nn::sequence<8, 3, 3>>);
  static_assert(std::is_same_v<padded::output_shape, nn::shape<3, 12, 3>>);
  auto a = nn::make<causal, double>(nn::init::pytorch_default{}, 5);
  nn::net<padded, double> b(a.export_parameters());
  const auto x = nn::test::random_values<double>(8 * 6 * 2, 6, -1, 1);
  typename nn::net<causal, double>::input_type xa;
  typename nn::net<padded, double>::input_type xb;
  for (std::size_t t = 0; t < 8; ++t)
    for (std::size_t f = 0; f < 6; ++f)
      for (std::size_t c = 0; c < 2; ++c) xa[(t * 6 + f) * 2 + c] = xb[(c * 8 + t) * 6 + f] = x[(t * 6 + f) * 2 + c];
  const auto ya = a(xa);
  const auto yb = b(xb);
  double worst = 0;
  for (std::size_t t = 0; t < 8; ++t)
    for (std::size_t f = 0; f < 3; ++f)
      for (std::size_t o = 0; o < 3; ++o)
        worst = std::max(worst, std::abs(ya[(t * 3 + f) * 3 + o] - yb[(o * 12 + t) * 3 + f]));
  BOOST_TEST(worst <= 1e-13);
}

BOOST_AUTO_TEST_CASE(a_causal_conv2d_stack_with_batch_norm_streams_exactly) {
  static_assert(std::is_same_v<spectrogram_net::output_shape, nn::sequence<50, 8, 1>>);
  auto n = nn::make<spectrogram_net>(nn::init::pytorch_default{}, 11);
  // train a little, so that the running statistics are not the identity
  nn::dataset<float, nn::sequence<50, 23, 1>, nn::sequence<50, 8, 1>> data;
  nn::rng gen(8);
  for (int s = 0; s < 16; ++s) {
    std::array<float, 50 * 23> x{};
    std::array<float, 50 * 8> t{};
    for (auto& v : x) v = float(gen.uniform(-1, 1));
    for (auto& v : t) v = float(gen.uniform(-1, 1));
    data.push_back(x, t);
  }
  nn::trainer fit{n, nn::loss::mse{}, nn::optim::adam{.lr = 0.01}};
  fit.train(data, {.epochs = 2, .batch = 8, .seed = 1, .log = nullptr});
  const auto x = nn::test::random_values<float>(50 * 23, 12, -1, 1);
  BOOST_TEST(nn::test::stream_difference(n, x.data()) == 0.0);
  // for deployment each batch_norm folds into the conv2d before it, as over images
  const auto folded = nn::fold_batch_norm(n);
  static_assert(std::remove_cvref_t<decltype(folded)>::model::layer_count == spectrogram_net::layer_count - 2);
  typename nn::net<spectrogram_net>::input_type xa;
  std::copy(x.begin(), x.end(), xa.begin());
  const auto ya = n(xa);
  const auto yb = folded(xa);
  double worst = 0;
  for (std::size_t k = 0; k < ya.size(); ++k)
    worst = std::max(worst, std::abs(double(ya[k]) - double(yb[k])) / std::max(1.0, std::abs(double(ya[k]))));
  BOOST_TEST(worst <= 2e-6);
  BOOST_TEST(nn::test::stream_difference(folded, x.data()) == 0.0);
}
