// ctnn's convolutional layers against PyTorch (tests/oracle/generate.py, float64): conv2d and
// conv1d with every option (stride, padding, same, causal, dilation), max/avg pools 2-D and 1-D,
// global average pooling, parallel blocks, grouped and depthwise convolutions: outputs, MSE loss
// and parameter gradients (and 4 Adam steps for the graphs and the depthwise block), in float
// and double; and bench/README.md's mnist_cnn: forward, cross-entropy gradients and 4 Adam steps.
#define BOOST_TEST_MODULE oracle_conv
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/fixtures.hpp"
#include "../support/support.hpp"

#include <boost/mpl/list.hpp>

#include <string>
#include <vector>

namespace nn = ctnn;
using nn::test::as;
using nn::test::forward_tol;
using nn::test::gradient_tol;
using nn::test::read_fixture;
using nn::test::scaled_error;

namespace {

/// One case of conv.txt: Model mirrors the PyTorch module of generate.py's conv_cases().
template <class T, class Model>
void check_case(const std::string& name) {
  nn::test::check_mse_case<T, Model>("conv.txt", name, 3);
}

using scalar_types = boost::mpl::list<float, double>;
} // namespace

BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_options_match_pytorch, T, scalar_types) {
  check_case<T, nn::network<nn::input<nn::shape<3, 5, 7>>, nn::conv2d<4, nn::kernel<3>>>>("conv2d_basic");
  check_case<T, nn::network<nn::input<nn::shape<3, 5, 7>>,
                            nn::conv2d<4, nn::kernel<3, 2>, nn::stride<2>, nn::padding<1>>, nn::relu>>(
      "conv2d_stride_padding");
  check_case<T, nn::network<nn::input<nn::shape<2, 6, 7>>,
                            nn::conv2d<3, nn::kernel<3>, nn::dilation<2>, nn::padding<1, 2>>, nn::tanh>>(
      "conv2d_dilation");
  check_case<T, nn::network<nn::input<nn::shape<2, 5, 6>>, nn::conv2d<3, nn::kernel<2, 4>, nn::same>, nn::sigmoid>>(
      "conv2d_same");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(conv1d_options_match_pytorch, T, scalar_types) {
  check_case<T, nn::network<nn::input<nn::shape<3, 9>>, nn::conv1d<4, 3, nn::causal, nn::dilation<2>>, nn::gelu>>(
      "conv1d_causal");
  check_case<T,
             nn::network<nn::input<nn::shape<3, 10>>, nn::conv1d<4, 3, nn::stride<2>, nn::padding<1>>, nn::leaky_relu>>(
      "conv1d_stride_padding");
  check_case<T, nn::network<nn::input<nn::shape<2, 8>>, nn::conv1d<3, 4, nn::same>>>("conv1d_same");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(pools_match_pytorch, T, scalar_types) {
  check_case<T, nn::network<nn::input<nn::shape<2, 7, 9>>, nn::conv2d<3, nn::kernel<3>, nn::padding<1>>,
                            nn::max_pool2d<nn::window<2>>>>("max_pool2d");
  check_case<T, nn::network<nn::input<nn::shape<2, 7, 9>>, nn::conv2d<3, nn::kernel<3>, nn::padding<1>>,
                            nn::max_pool2d<nn::window<3>, nn::stride<2>, nn::padding<1>>>>("max_pool2d_stride_padding");
  check_case<T, nn::network<nn::input<nn::shape<2, 7, 9>>, nn::conv2d<3, nn::kernel<3>>,
                            nn::avg_pool2d<nn::window<2>, nn::stride<1>, nn::padding<1>>>>("avg_pool2d");
  check_case<T, nn::network<nn::input<nn::shape<2, 11>>, nn::conv1d<3, 3>, nn::max_pool1d<nn::window<2>>>>(
      "max_pool1d");
  check_case<T,
             nn::network<nn::input<nn::shape<2, 11>>, nn::conv1d<3, 2>, nn::avg_pool1d<nn::window<3>, nn::stride<2>>>>(
      "avg_pool1d");
  check_case<T, nn::network<nn::input<nn::shape<2, 4, 5>>, nn::conv2d<3, nn::kernel<3>, nn::padding<1>>, nn::relu,
                            nn::global_avg_pool, nn::dense<2>>>("global_avg_pool");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(residual_blocks_match_pytorch, T, scalar_types) {
  check_case<
      T, nn::network<nn::input<nn::shape<3, 6, 7>>, nn::conv2d<3, nn::kernel<3>, nn::padding<1>>,
                     nn::residual<nn::conv2d<3, nn::kernel<3>, nn::padding<1>>, nn::relu,
                                  nn::conv2d<3, nn::kernel<3>, nn::padding<1>>>,
                     nn::relu,
                     nn::residual<nn::project, nn::conv2d<4, nn::kernel<3>, nn::stride<2>, nn::padding<1>>, nn::tanh>>>(
      "residual");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(mnist_cnn_trains_as_pytorch, T, scalar_types) {
  using model = nn::network<nn::input<nn::shape<1, 28, 28>>, nn::conv2d<8, nn::kernel<3>>, nn::relu,
                            nn::max_pool2d<nn::window<2>>, nn::conv2d<16, nn::kernel<3>>, nn::relu,
                            nn::max_pool2d<nn::window<2>>, nn::flatten, nn::dense<10>>;
  using net_t = nn::net<model, T>;
  static_assert(model::param_count == 8 * 9 + 8 + 16 * 72 + 16 + 400 * 10 + 10);
  const auto fx = read_fixture("cnn.txt");
  auto net = net_t{};
  net.import_parameters(as<T>(fx.at("params")));
  constexpr std::size_t n = 5;
  auto ws = net.make_workspace(n);
  const auto x = as<T>(fx.at("x"));
  const auto labels = as<T>(fx.at("labels"));
  const T* y = net.forward_train(ws, x.data(), n);
  std::vector<double> got(n * 10);
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t k = 0; k < 10; ++k) got[r * 10 + k] = y[r * net_t::output_stride + k];
  BOOST_TEST(scaled_error(got, fx.at("y")) <= forward_tol<T>);
  nn::loss::softmax_cross_entropy::value_and_gradient(y, net_t::output_stride, labels.data(), 10, ws.output_gradient(),
                                                      n);
  nn::aligned_buffer<T> grads(net_t::param_size);
  net.backward(ws, x.data(), n, grads.data());
  net_t view;
  std::copy(grads.begin(), grads.end(), view.parameters().begin());
  BOOST_TEST(scaled_error(view.export_parameters(), fx.at("grads")) <= gradient_tol<T>);

  // 4 full-batch Adam steps through the trainer, as torch.optim.Adam(lr=0.01)
  nn::dataset<T, nn::shape<1, 28, 28>, nn::shape<1>> data;
  for (std::size_t r = 0; r < n; ++r)
    data.push_back(std::span<const T, 784>(x.data() + r * 784, 784), std::span<const T, 1>(labels.data() + r, 1));
  nn::trainer fit{net, nn::loss::softmax_cross_entropy{}, nn::optim::adam{.lr = 0.01}};
  for (int step = 1; step <= 4; ++step) {
    fit.train(data, {.epochs = 1, .batch = n, .shuffle = false, .log = nullptr});
    // Adam divides by sqrt(v): gradients near zero amplify rounding, hence the gradient tolerance
    BOOST_TEST(scaled_error(net.export_parameters(), fx.at("adam.step" + std::to_string(step))) <=
                   (sizeof(T) == 4 ? 2e-4 : 1e-8),
               "step " << step);
  }
}

// parallel blocks against generate.py's graph_cases(): an Inception-style module (concat of
// 1x1, 1x1-3x3, pool-1x1 and the input itself) and a gated unit (multiply, then add).
BOOST_AUTO_TEST_CASE_TEMPLATE(parallel_blocks_match_pytorch, T, scalar_types) {
  using inception = nn::network<
      nn::input<nn::shape<2, 5, 6>>,
      nn::parallel<
          nn::concat, nn::branch<nn::conv2d<2, nn::kernel<1>>, nn::relu>,
          nn::branch<nn::conv2d<2, nn::kernel<1>>, nn::relu, nn::conv2d<3, nn::kernel<3>, nn::padding<1>>>,
          nn::branch<nn::max_pool2d<nn::window<3>, nn::stride<1>, nn::padding<1>>, nn::conv2d<1, nn::kernel<1>>>,
          nn::branch<>>,
      nn::relu, nn::flatten, nn::dense<3>>;
  static_assert(inception::layer_output(1) == nn::dims{3, {8, 5, 6}});
  nn::test::check_mse_case<T, inception>("graphs.txt", "inception", 3);
  nn::test::check_adam_steps<T, inception>("graphs.txt", "inception", 3);
  using gated =
      nn::network<nn::input<nn::shape<4>>, nn::dense<5>,
                  nn::parallel<nn::multiply, nn::branch<nn::dense<3>, nn::tanh>, nn::branch<nn::dense<3>, nn::sigmoid>>,
                  nn::parallel<nn::add, nn::branch<nn::dense<3>>, nn::branch<>>, nn::elu, nn::dense<2>>;
  nn::test::check_mse_case<T, gated>("graphs.txt", "gated", 3);
  nn::test::check_adam_steps<T, gated>("graphs.txt", "gated", 3);
}

// Grouped and depthwise convolutions against PyTorch (groups=; fixtures: generate.py grouped): a
// MobileNet-style depthwise-separable block (depthwise 3x3 at stride 1 and 2, pointwise 1x1,
// ReLU6, hardswish), groups of two channels, and a grouped strided conv1d.
BOOST_AUTO_TEST_CASE_TEMPLATE(grouped_convolutions_match_pytorch, T, scalar_types) {
  using separable =
      nn::network<nn::input<nn::shape<4, 7, 8>>, nn::conv2d<4, nn::kernel<3>, nn::padding<1>, nn::groups<4>>, nn::relu6,
                  nn::conv2d<8, nn::kernel<1>>, nn::relu,
                  nn::conv2d<8, nn::kernel<3>, nn::stride<2>, nn::padding<1>, nn::groups<8>>, nn::hardswish,
                  nn::flatten, nn::dense<3>>;
  nn::test::check_mse_case<T, separable>("grouped.txt", "depthwise_separable", 3);
  nn::test::check_adam_steps<T, separable>("grouped.txt", "depthwise_separable", 3);
  using grouped = nn::network<nn::input<nn::shape<4, 6, 6>>, nn::conv2d<6, nn::kernel<3>, nn::groups<2>>, nn::silu,
                              nn::flatten, nn::dense<2>>;
  nn::test::check_mse_case<T, grouped>("grouped.txt", "grouped", 3);
  using signal = nn::network<nn::input<nn::shape<4, 10>>, nn::conv1d<6, 3, nn::stride<2>, nn::groups<2>>, nn::tanh,
                             nn::flatten, nn::dense<2>>;
  nn::test::check_mse_case<T, signal>("grouped.txt", "grouped_conv1d", 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(conv1d_over_time_matches_pytorch, T, scalar_types) {
  // nn.Conv1d on x.transpose(1, 2), zero-padded on the left for the causal layers
  using tcn = nn::network<nn::input<nn::sequence<10, 2>>, nn::conv1d<6, 3, nn::causal>, nn::tanh,
                          nn::conv1d<6, 3, nn::causal, nn::dilation<2>>, nn::relu,
                          nn::conv1d<4, 2, nn::causal, nn::dilation<4>, nn::groups<2>>, nn::per_step<nn::dense<1>>>;
  using strided = nn::network<nn::input<nn::sequence<9, 3>>, nn::conv1d<4, 3, nn::stride<2>, nn::padding<1>>,
                              nn::sigmoid, nn::gru<5>, nn::last, nn::dense<2>>;
  nn::test::check_mse_case<T, tcn>("sequence_conv.txt", "tcn", 3);
  nn::test::check_mse_case<T, strided>("sequence_conv.txt", "strided_then_gru", 3);
  nn::test::check_adam_steps<T, tcn>("sequence_conv.txt", "tcn", 3);
  nn::test::check_adam_steps<T, strided>("sequence_conv.txt", "strided_then_gru", 3);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(conv2d_over_frames_matches_pytorch, T, scalar_types) {
  // nn.Conv2d on x.permute(0, 3, 1, 2), zero-padded in time before the signal for the causal layer,
  // then nn.Linear on every step's flat frame
  using frames =
      nn::network<nn::input<nn::sequence<7, 6, 2>>,
                  nn::conv2d<4, nn::kernel<3>, nn::causal, nn::dilation<2, 1>, nn::stride<1, 2>, nn::padding<0, 1>>,
                  nn::tanh, nn::conv2d<4, nn::kernel<2, 3>, nn::groups<2>>, nn::relu, nn::per_step<nn::dense<1>>>;
  static_assert(std::is_same_v<frames::output_shape, nn::sequence<6, 1>>);
  nn::test::check_mse_case<T, frames>("frame_conv.txt", "frames", 3);
  nn::test::check_adam_steps<T, frames>("frame_conv.txt", "frames", 3);
}
