// Central finite differences in double for the convolutional layers at odd sizes: conv2d with
// stride, padding and dilation (a second conv also checks the first one's input gradient),
// max and average pools 2-D and 1-D, conv1d with causal and same padding, global_avg_pool, and
// grouped and depthwise convolutions, and PReLU after a convolution and a dense layer.
#define BOOST_TEST_MODULE gradcheck_conv
#include <boost/test/unit_test.hpp>

#include "../support/gradcheck.hpp"

namespace nn = ctnn;
using nn::test::check_input_gradient;
using nn::test::check_network;

BOOST_AUTO_TEST_CASE(conv2d_with_stride_padding_and_dilation) {
  using model =
      nn::network<nn::input<nn::shape<3, 5, 7>>, nn::conv2d<4, nn::kernel<3, 3>, nn::stride<2>, nn::padding<1>>,
                  nn::tanh, nn::conv2d<2, nn::kernel<2, 3>, nn::dilation<2>, nn::padding<1, 2>>, nn::flatten,
                  nn::dense<3>>;
  static_assert(std::is_same_v<model::layer<1>, nn::conv2d<4, nn::kernel<3, 3>, nn::stride<2>, nn::padding<1>>>);
  static_assert(model::layer_output(1) == nn::dims{3, {4, 3, 4}});
  check_network<model, nn::loss::mse>(11);
  check_network<model, nn::loss::softmax_cross_entropy>(12);
}

BOOST_AUTO_TEST_CASE(conv2d_same_padding_with_an_even_kernel) {
  using model = nn::network<nn::input<nn::shape<2, 5, 6>>, nn::conv2d<3, nn::kernel<2, 4>, nn::same>, nn::relu,
                            nn::conv2d<2, nn::kernel<3>, nn::same, nn::dilation<2>>, nn::flatten, nn::dense<2>>;
  static_assert(model::layer_output(1) == nn::dims{3, {3, 5, 6}});
  check_network<model, nn::loss::mse>(13);
}

BOOST_AUTO_TEST_CASE(max_and_average_pools) {
  using model = nn::network<nn::input<nn::shape<2, 7, 9>>, nn::conv2d<3, nn::kernel<3>, nn::padding<1>>,
                            nn::max_pool2d<nn::window<2>>, nn::conv2d<2, nn::kernel<2>>,
                            nn::avg_pool2d<nn::window<2>, nn::stride<1>, nn::padding<1>>,
                            nn::max_pool2d<nn::window<3, 2>, nn::stride<2, 1>>, nn::flatten, nn::dense<2>>;
  static_assert(model::layer_output(2) == nn::dims{3, {3, 3, 4}});
  check_network<model, nn::loss::mse>(14);
}

BOOST_AUTO_TEST_CASE(conv1d_causal_same_and_1d_pools) {
  using model = nn::network<nn::input<nn::shape<3, 11>>, nn::conv1d<4, 3, nn::causal, nn::dilation<2>>, nn::gelu,
                            nn::max_pool1d<nn::window<2>>, nn::conv1d<3, 3, nn::same>,
                            nn::avg_pool1d<nn::window<3>, nn::stride<2>>,
                            nn::conv1d<2, 2, nn::stride<2>, nn::padding<1>>, nn::flatten, nn::dense<2>>;
  static_assert(model::layer_output(1) == nn::dims{2, {4, 11}});
  check_network<model, nn::loss::mse>(15);
}

BOOST_AUTO_TEST_CASE(global_average_pool) {
  using model = nn::network<nn::input<nn::shape<2, 4, 5>>, nn::conv2d<3, nn::kernel<3>, nn::same>, nn::sigmoid,
                            nn::global_avg_pool, nn::dense<2>>;
  check_network<model, nn::loss::softmax_cross_entropy>(16);
}

BOOST_AUTO_TEST_CASE(residual_blocks) {
  // identity skip with relu after the sum, then a projected block that halves the image
  using model = nn::network<
      nn::input<nn::shape<2, 5, 6>>, nn::conv2d<3, nn::kernel<3>, nn::same>, nn::tanh,
      nn::residual<nn::conv2d<3, nn::kernel<3>, nn::same>, nn::relu, nn::conv2d<3, nn::kernel<3>, nn::same>>, nn::relu,
      nn::residual<nn::project, nn::conv2d<4, nn::kernel<3>, nn::stride<2>, nn::padding<1>>, nn::gelu>, nn::flatten,
      nn::dense<2>>;
  static_assert(model::layer_output(5) == nn::dims{3, {4, 3, 3}});
  check_network<model, nn::loss::mse>(17);
  // on vectors: a dense block, and a projected one that changes the width
  using mlp = nn::network<nn::input<nn::shape<5>>, nn::dense<6>, nn::residual<nn::dense<6>, nn::tanh, nn::dense<6>>,
                          nn::sigmoid, nn::residual<nn::project, nn::dense<4>, nn::relu>, nn::dense<2>>;
  check_network<mlp, nn::loss::softmax_cross_entropy>(18);
}

BOOST_AUTO_TEST_CASE(blocks_holding_batch_norm_and_dropout) {
  // the block carries its inner layers' batch statistics and masks (and those of a block inside it)
  using mlp = nn::network<
      nn::input<nn::shape<5>>, nn::dense<6>,
      nn::residual<nn::dense<6>, nn::batch_norm, nn::tanh, nn::dropout<1, 3>, nn::dense<6>>, nn::relu,
      nn::residual<nn::project, nn::dropout<1, 4>, nn::residual<nn::dense<6>, nn::batch_norm>, nn::dense<4>>,
      nn::dense<2>>;
  check_network<mlp, nn::loss::softmax_cross_entropy>(19);
  check_input_gradient<mlp, nn::loss::softmax_cross_entropy>(20);
  using cnn =
      nn::network<nn::input<nn::shape<2, 5, 5>>,
                  nn::residual<nn::conv2d<2, nn::kernel<3>, nn::same>, nn::batch_norm, nn::relu, nn::dropout<1, 5>>,
                  nn::flatten, nn::dense<2>>;
  check_network<cnn, nn::loss::mse>(21);
}

BOOST_AUTO_TEST_CASE(direct_kernel_blocks_tails_and_bands) {
  // Stride-1 convolutions run the direct kernels (kernels/direct_conv.hpp): 24 filters on 22-wide
  // rows span two bands of output rows in double (the second one partial) and three blocks of
  // eight outputs; 10 filters leave a tail block of two; both leave a tail of position vectors.
  using model =
      nn::network<nn::input<nn::shape<1, 4, 20>>, nn::conv2d<24, nn::kernel<3>, nn::same>, nn::relu,
                  nn::conv2d<10, nn::kernel<2, 3>, nn::dilation<2>>, nn::tanh, nn::global_avg_pool, nn::dense<2>>;
  static_assert(ctnn::kernels::wide_conv<1, 24, 3, 3, 1, 1, 4, 20>::band_rows<double> == 3);
  static_assert(model::layer_output(3) == nn::dims{3, {10, 2, 16}});
  check_network<model, nn::loss::mse>(19);
}

BOOST_AUTO_TEST_CASE(conv_transpose2d_and_upsample2d) {
  // the decoder's layers, each after a layer with parameters (so their input gradient is checked)
  check_network<
      nn::network<nn::input<nn::shape<2, 3, 3>>,
                  nn::conv_transpose2d<3, nn::kernel<3, 3>, nn::stride<2>, nn::padding<1>, nn::output_padding<1>>,
                  nn::tanh, nn::conv_transpose2d<2, nn::kernel<2, 3>, nn::stride<1, 2>, nn::dilation<2, 1>>,
                  nn::flatten, nn::dense<2>>,
      nn::loss::mse>(30);
  check_network<nn::network<nn::input<nn::shape<6>>, nn::dense<8>, nn::reshape<2, 2, 2>, nn::upsample2d<2, 3>,
                            nn::conv2d<2, nn::kernel<3, 3>>, nn::flatten, nn::dense<2>>,
                nn::loss::mse>(31);
}

BOOST_AUTO_TEST_CASE(grouped_and_depthwise_convolutions) {
  // depthwise at stride 1 (direct kernels) and stride 2 (grouped windows), groups of two channels
  // with more filters than channels, and a grouped conv1d; each followed by another layer so that
  // the input gradient is checked too
  using model =
      nn::network<nn::input<nn::shape<4, 6, 7>>, nn::conv2d<4, nn::kernel<3>, nn::same, nn::groups<4>>, nn::relu6,
                  nn::conv2d<6, nn::kernel<3>, nn::stride<2>, nn::padding<1>, nn::groups<2>>, nn::tanh,
                  nn::conv2d<6, nn::kernel<2>, nn::stride<2>, nn::groups<6>>, nn::flatten, nn::dense<2>>;
  static_assert(model::layer_params(1) == 4 * 1 * 9 + 4);
  static_assert(model::layer_params(3) == 6 * 2 * 9 + 6);
  static_assert(model::layer_output(3) == nn::dims{3, {6, 3, 4}});
  check_network<model, nn::loss::mse>(61);
  check_input_gradient<model, nn::loss::mse>(62);
  using signal = nn::network<nn::input<nn::shape<4, 9>>, nn::conv1d<6, 3, nn::causal, nn::dilation<2>, nn::groups<2>>,
                             nn::gelu, nn::conv1d<6, 3, nn::stride<2>, nn::groups<3>>, nn::flatten, nn::dense<2>>;
  check_network<signal, nn::loss::mse>(63);
  check_input_gradient<signal, nn::loss::mse>(64);
}

BOOST_AUTO_TEST_CASE(prelu_with_one_slope_and_one_per_channel) {
  // the slopes' gradients sum over the values they apply to: every position of a channel, or all
  using model = nn::network<nn::input<nn::shape<2, 5, 6>>, nn::conv2d<3, nn::kernel<3>>, nn::channel_prelu, nn::flatten,
                            nn::dense<5>, nn::prelu, nn::dense<2>>;
  static_assert(model::layer_params(2) == 3 && model::layer_params(5) == 1);
  check_network<model, nn::loss::mse>(65);
  check_input_gradient<model, nn::loss::mse>(66);
}

BOOST_AUTO_TEST_CASE(conv1d_over_time_on_sequences) {
  // time-major: causal and dilated, then strided with padding, then grouped, beside a recurrent
  // layer; the second and third layers check the input gradients of the ones before them
  using model = nn::network<nn::input<nn::sequence<9, 3>>, nn::conv1d<4, 3, nn::causal, nn::dilation<2>>, nn::tanh,
                            nn::conv1d<4, 2, nn::stride<2>, nn::padding<1>>, nn::relu,
                            nn::conv1d<2, 3, nn::groups<2>, nn::causal>, nn::gru<3>, nn::last, nn::dense<2>>;
  static_assert(model::layer_output(1) == nn::sequence<9, 4>::dims);
  static_assert(model::layer_output(3) == nn::sequence<5, 4>::dims);
  static_assert(model::layer_params(5) == 2 * 2 * 3 + 2);
  check_network<model, nn::loss::mse>(41);
  check_network<model, nn::loss::softmax_cross_entropy>(42);
  using whole_sequence = nn::network<nn::input<nn::sequence<6, 2>>, nn::conv1d<3, 2, nn::causal, nn::dilation<3>>,
                                     nn::sigmoid, nn::conv1d<2, 3, nn::padding<1>>>;
  check_network<whole_sequence, nn::loss::mse>(43);
  check_input_gradient<whole_sequence, nn::loss::mse>(44);
}

BOOST_AUTO_TEST_CASE(conv2d_and_batch_norm_over_frames) {
  // sequences of [features, channels] frames: a causal conv2d dilated in time and strided in
  // features, batch_norm over the channels (batch statistics), a grouped conv2d, then per-step
  // and recurrent layers; the later layers check the input gradients of the earlier ones
  using model =
      nn::network<nn::input<nn::sequence<6, 5, 2>>,
                  nn::conv2d<4, nn::kernel<2, 3>, nn::causal, nn::dilation<2, 1>, nn::stride<1, 2>, nn::padding<0, 1>>,
                  nn::batch_norm, nn::tanh, nn::conv2d<4, nn::kernel<2>, nn::groups<2>, nn::padding<1, 0>>, nn::relu,
                  nn::gru<3>, nn::last, nn::dense<2>>;
  static_assert(model::layer_output(1) == nn::sequence<6, 3, 4>::dims);
  static_assert(model::layer_output(4) == nn::sequence<7, 2, 4>::dims);
  check_network<model, nn::loss::mse>(45);
  using whole_sequence = nn::network<nn::input<nn::sequence<5, 4, 3>>, nn::conv2d<2, nn::kernel<3, 2>, nn::causal>,
                                     nn::sigmoid, nn::batch_norm, nn::per_step<nn::dense<2>>>;
  check_network<whole_sequence, nn::loss::mse>(46);
  check_input_gradient<whole_sequence, nn::loss::mse>(47);
}
