// Central finite differences in double through parallel blocks: each merge (concat of vectors,
// of channel maps and of the steps of a sequence; add; multiply), a branch that is the block's
// input, batch_norm and dropout inside branches, a parallel block inside a residual block, and
// heads trained with one loss each, and two inputs read by branches.
#define BOOST_TEST_MODULE gradcheck_graphs
#include <boost/test/unit_test.hpp>

#include "../support/gradcheck.hpp"

namespace nn = ctnn;
using nn::test::check_input_gradient;
using nn::test::check_network;

BOOST_AUTO_TEST_CASE(concat_of_vectors_with_the_input_as_a_branch) {
  using model = nn::network<nn::input<nn::shape<5>>, nn::dense<4>,
                            nn::parallel<nn::concat, nn::branch<nn::dense<3>, nn::tanh>, nn::branch<>,
                                         nn::branch<nn::dense<2>, nn::gelu, nn::dense<5>>>,
                            nn::relu, nn::dense<3>>;
  static_assert(model::layer_output(2) == nn::dims{1, {12}});
  check_network<model, nn::loss::softmax_cross_entropy>(31);
  check_input_gradient<model, nn::loss::softmax_cross_entropy>(32);
}

BOOST_AUTO_TEST_CASE(concat_of_channel_maps_inception_style) {
  using model = nn::network<
      nn::input<nn::shape<2, 5, 6>>,
      nn::parallel<
          nn::concat, nn::branch<nn::conv2d<2, nn::kernel<1>>, nn::relu>,
          nn::branch<nn::conv2d<2, nn::kernel<1>>, nn::relu, nn::conv2d<3, nn::kernel<3>, nn::same>>,
          nn::branch<nn::max_pool2d<nn::window<3>, nn::stride<1>, nn::padding<1>>, nn::conv2d<1, nn::kernel<1>>>>,
      nn::tanh, nn::flatten, nn::dense<2>>;
  static_assert(model::layer_output(1) == nn::dims{3, {6, 5, 6}});
  check_network<model, nn::loss::mse>(33);
  check_input_gradient<model, nn::loss::mse>(34);
}

BOOST_AUTO_TEST_CASE(add_and_multiply) {
  // a gated unit: tanh(W1 x) * sigmoid(W2 x), then a sum of two paths
  using model = nn::network<
      nn::input<nn::shape<4>>, nn::dense<5>,
      nn::parallel<nn::multiply, nn::branch<nn::dense<3>, nn::tanh>, nn::branch<nn::dense<3>, nn::sigmoid>>,
      nn::parallel<nn::add, nn::branch<nn::dense<3>>, nn::branch<nn::dense<3>, nn::relu, nn::dense<3>>, nn::branch<>>,
      nn::dense<2>>;
  check_network<model, nn::loss::mse>(35);
  check_input_gradient<model, nn::loss::mse>(36);
}

BOOST_AUTO_TEST_CASE(concat_of_the_features_of_each_step) {
  using model = nn::network<nn::input<nn::sequence<4, 3>>,
                            nn::parallel<nn::concat, nn::branch<nn::lstm<2>>, nn::branch<nn::gru<3>>, nn::branch<>>,
                            nn::last, nn::dense<2>>;
  static_assert(model::layer_output(1) == nn::dims{2, {4, 8}, true});
  check_network<model, nn::loss::mse>(37);
}

BOOST_AUTO_TEST_CASE(batch_norm_and_dropout_in_branches_and_nesting) {
  using model = nn::network<
      nn::input<nn::shape<5>>, nn::dense<6>,
      nn::residual<nn::parallel<nn::add, nn::branch<nn::dense<6>, nn::batch_norm, nn::tanh, nn::dropout<1, 3>>,
                                nn::branch<nn::dropout<1, 4>, nn::dense<6>>>>,
      nn::relu, nn::parallel<nn::concat, nn::branch<nn::dense<3>, nn::batch_norm>, nn::branch<nn::dense<2>>>,
      nn::dense<2>>;
  check_network<model, nn::loss::softmax_cross_entropy>(38);
  check_input_gradient<model, nn::loss::softmax_cross_entropy>(39);
}

BOOST_AUTO_TEST_CASE(heads_with_one_loss_each) {
  // a policy (cross-entropy) and a value (MSE) head on a trunk; a head with a block inside
  using model =
      nn::network<nn::input<nn::shape<5>>, nn::dense<6>, nn::tanh,
                  nn::heads<nn::branch<nn::dense<4>, nn::relu, nn::dense<3>>,
                            nn::branch<nn::residual<nn::dense<6>, nn::gelu>, nn::dense<2>, nn::sigmoid>, nn::branch<>>>;
  using losses = nn::loss::heads<nn::loss::softmax_cross_entropy, nn::loss::mse, nn::loss::huber>;
  check_network<model, losses>(40);
  check_input_gradient<model, losses>(41);
}

BOOST_AUTO_TEST_CASE(two_inputs_read_by_branches) {
  // a recurrent branch over a window and a dense branch over static features; input 1 is read
  // by two branches, whose gradients add up at that input
  using model =
      nn::network<nn::inputs<nn::sequence<4, 2>, nn::shape<3>>,
                  nn::parallel<nn::concat, nn::branch<nn::from<0>, nn::gru<3>, nn::last>,
                               nn::branch<nn::from<1>, nn::dense<2>>, nn::branch<nn::from<1>, nn::dense<2>, nn::tanh>>,
                  nn::dense<2>>;
  check_network<model, nn::loss::mse>(42);
  check_input_gradient<model, nn::loss::mse>(43);
}
