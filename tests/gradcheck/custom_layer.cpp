// The user's layer of examples/custom_layer.cpp (PReLU, defined outside namespace ctnn) under
// the same finite-difference check as ctnn's own layers, after a conv (slopes per channel, and
// its input gradient flows into the conv) and after a dense layer.
#define BOOST_TEST_MODULE gradcheck_custom_layer
#include <boost/test/unit_test.hpp>

#define CTNN_CUSTOM_LAYER_NO_MAIN
#include "../../examples/custom_layer.cpp"

#include "../support/gradcheck.hpp"

namespace nn = ctnn;

BOOST_AUTO_TEST_CASE(prelu_gradients) {
  using model = nn::network<nn::input<nn::shape<2, 7>>, nn::conv1d<3, 3, nn::padding<1>>, my::prelu, nn::flatten,
                            nn::dense<5>, my::prelu, nn::dense<2>>;
  static_assert(model::param_count == 3 * 2 * 3 + 3 + 3 + 21 * 5 + 5 + 5 + 5 * 2 + 2);
  nn::test::check_network<model, nn::loss::mse>(21);
}
