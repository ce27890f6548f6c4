// Central finite differences in double through time: each recurrent cell over several steps at
// odd sizes, stacked (so that a lower layer's parameters see the upper one's input gradient),
// through `last` and on a whole output sequence.
#define BOOST_TEST_MODULE gradcheck_recurrent
#include <boost/test/unit_test.hpp>

#include "../support/gradcheck.hpp"

namespace nn = ctnn;
using nn::test::check_network;

BOOST_AUTO_TEST_CASE(rnn_tanh_and_relu) {
  using model = nn::network<nn::input<nn::sequence<4, 3>>, nn::rnn<5>, nn::rnn<3, nn::relu>, nn::last, nn::dense<2>>;
  static_assert(model::layer_output(1) == nn::sequence<4, 5>::dims);
  static_assert(model::layer_output(3) == nn::shape<3>::dims);
  check_network<model, nn::loss::mse>(31);
}

BOOST_AUTO_TEST_CASE(lstm_stacked) {
  using model = nn::network<nn::input<nn::sequence<5, 3>>, nn::lstm<7>, nn::lstm<4>, nn::last, nn::dense<2>>;
  static_assert(model::param_count == 4 * 7 * (3 + 7 + 2) + 4 * 4 * (7 + 4 + 2) + 2 * 4 + 2);
  check_network<model, nn::loss::mse>(32);
  check_network<model, nn::loss::softmax_cross_entropy>(33);
}

BOOST_AUTO_TEST_CASE(gru_stacked) {
  using model = nn::network<nn::input<nn::sequence<6, 2>>, nn::gru<5>, nn::gru<3>, nn::last, nn::dense<2>>;
  check_network<model, nn::loss::mse>(34);
}

BOOST_AUTO_TEST_CASE(whole_output_sequence) {
  // every step's output reaches the loss: gradients flow into each h_t from above and from t + 1
  using model = nn::network<nn::input<nn::sequence<3, 4>>, nn::lstm<6>, nn::gru<3>>;
  check_network<model, nn::loss::mse>(35);
}

BOOST_AUTO_TEST_CASE(per_step_layers) {
  // per_step<dense> between recurrent layers and at the end, with a fused and a standalone
  // activation: each step's gradient reaches the shared weights and the layer below
  using model = nn::network<nn::input<nn::sequence<4, 3>>, nn::gru<5>, nn::per_step<nn::dense<4>>, nn::tanh,
                            nn::lstm<3>, nn::sigmoid, nn::per_step<nn::dense<2>>>;
  static_assert(model::layer_output(2) == nn::sequence<4, 4>::dims);
  static_assert(model::layer_output(6) == nn::sequence<4, 2>::dims);
  static_assert(model::layer_params(2) == 5 * 4 + 4);
  check_network<model, nn::loss::mse>(36);
  using classifier = nn::network<nn::input<nn::sequence<3, 4>>, nn::per_step<nn::dense<5>>, nn::relu, nn::rnn<3>,
                                 nn::last, nn::dense<3>>;
  check_network<classifier, nn::loss::softmax_cross_entropy>(37);
  // layers with buffers and per-feature parameters on every step: batch statistics over every
  // step of the batch
  using normalized = nn::network<nn::input<nn::sequence<4, 3>>, nn::per_step<nn::batch_norm>, nn::lstm<4>,
                                 nn::per_step<nn::channel_prelu>, nn::per_step<nn::dense<2>>>;
  check_network<normalized, nn::loss::mse>(38);
}
