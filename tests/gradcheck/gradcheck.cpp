// Central finite differences in double against the analytic backward pass: every activation
// (fused into dense and standalone), the dense stage, every loss, and a whole 3-layer network;
// fake_quantize's straight-through estimator.
#define BOOST_TEST_MODULE gradcheck
#include <boost/test/unit_test.hpp>

#include <ctnn/ctnn.hpp>

#include "../support/gradcheck.hpp"

#include <cmath>
#include <vector>

namespace nn = ctnn;

namespace {

using nn::test::check_input_gradient;
using nn::test::check_network;
using nn::test::eps;
using nn::test::make_targets;
using nn::test::tolerance;

template <class Act>
void check_activation() {
  // fused into the dense layer before it ...
  check_network<nn::network<nn::input<nn::shape<4>>, nn::dense<5>, Act, nn::dense<3>>, nn::loss::mse>(1);
  // ... and as a standalone stage (identity is fused, Act stands alone)
  check_network<nn::network<nn::input<nn::shape<4>>, nn::dense<5>, nn::identity, Act, nn::dense<3>>, nn::loss::mse>(2);
}

/// dL/dy of a loss alone, by central differences on the outputs.
template <class Loss>
void check_loss_gradient(std::size_t out) {
  constexpr std::size_t n = 4, ld = 8; // a row stride wider than the row, as in the network
  const std::size_t target_size =
      std::is_same_v<Loss, nn::loss::softmax_cross_entropy> || std::is_same_v<Loss, nn::loss::nll> ? 1 : out;
  auto y = nn::test::random_values<double>(n * ld, 5, -3, 3);
  const auto t = make_targets<Loss>(n, out, target_size);
  std::vector<double> dy(n * ld, -1.0);
  Loss{}.value_and_gradient(y.data(), ld, t.data(), out, dy.data(), n);
  double worst = 0;
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t k = 0; k < out; ++k) {
      const double keep = y[r * ld + k];
      y[r * ld + k] = keep + eps;
      const double up = Loss{}.value_and_gradient(y.data(), ld, t.data(), out, static_cast<double*>(nullptr), n);
      y[r * ld + k] = keep - eps;
      const double down = Loss{}.value_and_gradient(y.data(), ld, t.data(), out, static_cast<double*>(nullptr), n);
      y[r * ld + k] = keep;
      worst = std::max(worst, std::abs((up - down) / (2 * eps) - dy[r * ld + k]));
    }
    for (std::size_t k = out; k < ld; ++k) BOOST_TEST(dy[r * ld + k] == 0.0); // padding is cleared
  }
  BOOST_TEST(worst <= tolerance);
}

} // namespace

BOOST_AUTO_TEST_CASE(identity_activation) { check_activation<nn::identity>(); }
BOOST_AUTO_TEST_CASE(relu_activation) { check_activation<nn::relu>(); }
BOOST_AUTO_TEST_CASE(leaky_relu_activation) { check_activation<nn::leaky_relu>(); }
BOOST_AUTO_TEST_CASE(sigmoid_activation) { check_activation<nn::sigmoid>(); }
BOOST_AUTO_TEST_CASE(tanh_activation) { check_activation<nn::tanh>(); }
BOOST_AUTO_TEST_CASE(softmax_activation) { check_activation<nn::softmax>(); }
BOOST_AUTO_TEST_CASE(gelu_activation) { check_activation<nn::gelu>(); }
BOOST_AUTO_TEST_CASE(log_softmax_activation) { check_activation<nn::log_softmax>(); }
BOOST_AUTO_TEST_CASE(silu_activation) { check_activation<nn::silu>(); }
BOOST_AUTO_TEST_CASE(elu_activations) {
  check_activation<nn::elu>();
  check_activation<nn::elu_alpha<1, 2>>();
}
BOOST_AUTO_TEST_CASE(hardtanh_activations) {
  check_activation<nn::hardtanh>();
  check_activation<nn::relu6>();
  check_activation<nn::hardtanh_range<-2, 3>>();
}
BOOST_AUTO_TEST_CASE(hardswish_and_hardsigmoid_activations) {
  check_activation<nn::hardswish>();
  check_activation<nn::hardsigmoid>();
}

BOOST_AUTO_TEST_CASE(dense_stage_under_every_loss) {
  using one = nn::network<nn::input<nn::shape<4>>, nn::dense<3>>;
  check_network<one, nn::loss::mse>(3);
  check_network<one, nn::loss::bce_with_logits>(4);
  check_network<one, nn::loss::softmax_cross_entropy>(5);
  check_network<nn::network<nn::input<nn::shape<4>>, nn::dense<3>, nn::log_softmax>, nn::loss::nll>(8);
  check_network<one, nn::loss::huber>(9);
}

BOOST_AUTO_TEST_CASE(loss_gradients) {
  check_loss_gradient<nn::loss::mse>(3);
  check_loss_gradient<nn::loss::bce_with_logits>(3);
  check_loss_gradient<nn::loss::softmax_cross_entropy>(5);
  check_loss_gradient<nn::loss::mae>(3);   // (random outputs are almost surely off the kinks)
  check_loss_gradient<nn::loss::huber>(3); // delta 1: both branches among outputs in [-3, 3]
  check_loss_gradient<nn::loss::nll>(5);
}

BOOST_AUTO_TEST_CASE(dropout_through_its_mask) {
  // the workspace's noise seed is fixed, so every forward of the finite differences draws the
  // same mask: the gradient is that of x -> x m
  using model = nn::network<nn::input<nn::shape<6>>, nn::dense<16>, nn::tanh, nn::dropout<1, 2>, nn::dense<3>>;
  check_network<model, nn::loss::mse>(10);
  using first = nn::network<nn::input<nn::shape<6>>, nn::dropout<1, 3>, nn::dense<3>>; // on the input
  check_network<first, nn::loss::mse>(11);
}

BOOST_AUTO_TEST_CASE(fake_quantize_straight_through) {
  // no finite differences: rounding is flat almost everywhere, and training rounds with the
  // batch's range, inference with the stored one. Its gradient is the straight-through estimator:
  // dy where the code was inside 0..127, else 0 (and against PyTorch: tests/oracle/batch_norm.cpp)
  using stage = nn::layers::fake_quantize_stage<double, 5, nn::fake_quantize>;
  const double kept[stage::kept_stride] = {-1.0, 1.0}; // scale 2 / 127, zero point 64 (63.5 to even)
  const double x[stage::out_stride] = {-2.0, -0.5, 0.5, 1.0, 2.0};
  double dy[stage::out_stride] = {1, 2, 3, 4, 5}, dx[stage::out_stride] = {}, grad[stage::param_size] = {};
  stage::backward(nullptr, grad, x, stage::out_stride, kept, nullptr, dy, dx, 1, nn::kernels::store_mode::overwrite);
  // codes -63, 32, 96, 128 (1.0 lands on 63.5 steps: to even, 64), 191
  const double expected[5] = {0, 2, 3, 0, 0};
  for (std::size_t i = 0; i < 5; ++i) BOOST_TEST(dx[i] == expected[i], "value " << i);
}

BOOST_AUTO_TEST_CASE(layer_norm_on_vectors_maps_and_steps) {
  check_network<nn::network<nn::input<nn::shape<6>>, nn::dense<7>, nn::layer_norm, nn::dense<3>>, nn::loss::mse>(12);
  check_network<nn::network<nn::input<nn::shape<2, 5, 5>>, nn::conv2d<3, nn::kernel<3, 3>>, nn::layer_norm, nn::flatten,
                            nn::dense<2>>,
                nn::loss::mse>(13);
  check_network<nn::network<nn::input<nn::sequence<4, 3>>, nn::gru<5>, nn::layer_norm, nn::last, nn::dense<2>>,
                nn::loss::mse>(14);
}

BOOST_AUTO_TEST_CASE(batch_norm_on_features_and_channels) {
  // training mode: the loss of the batch through its own statistics (the input gradient of the
  // batch_norm reaches the layer before it; the batch_norm's first input is a dense layer's)
  check_network<nn::network<nn::input<nn::shape<5>>, nn::dense<4>, nn::batch_norm, nn::tanh, nn::dense<3>>,
                nn::loss::mse>(15);
  check_network<
      nn::network<nn::input<nn::shape<2, 6>>, nn::conv1d<3, 3>, nn::batch_norm, nn::relu, nn::flatten, nn::dense<2>>,
      nn::loss::mse>(16);
  check_network<nn::network<nn::input<nn::shape<2, 5, 5>>, nn::conv2d<3, nn::kernel<3, 3>>, nn::batch_norm, nn::flatten,
                            nn::dense<2>>,
                nn::loss::softmax_cross_entropy>(17);
  check_network<nn::network<nn::input<nn::shape<4>>, nn::batch_norm, nn::dense<2>>, nn::loss::mse>(18); // on the input
}

BOOST_AUTO_TEST_CASE(input_gradient_without_parameter_gradients) {
  // net::backward_input, what a GAN's generator learns through; input sizes off the register width
  check_input_gradient<
      nn::network<nn::input<nn::shape<2>>, nn::dense<16>, nn::tanh, nn::dense<16>, nn::relu, nn::dense<1>>,
      nn::loss::bce_with_logits>(20);
  check_input_gradient<
      nn::network<nn::input<nn::shape<1, 6, 6>>, nn::conv2d<3, nn::kernel<3, 3>>, nn::batch_norm, nn::relu,
                  nn::max_pool2d<nn::kernel<2, 2>>, nn::flatten, nn::dropout<1, 4>, nn::dense<1>>,
      nn::loss::bce_with_logits>(21);
  check_input_gradient<nn::network<nn::input<nn::shape<5>>, nn::layer_norm, nn::dense<3>, nn::sigmoid>, nn::loss::mse>(
      22);
}

BOOST_AUTO_TEST_CASE(three_layer_network) {
  using model = nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::tanh, nn::dense<8>, nn::relu, nn::dense<4>>;
  check_network<model, nn::loss::softmax_cross_entropy>(6);
  check_network<model, nn::loss::mse>(7);
}
