// expect: layer_has_no_integer_form<ctnn::diag::layer_index<3>, ctnn::max_pool1d<ctnn::window<2
// A max pool has an int8 stage, but it keeps its input's codes: it cannot give the float outputs
// of a network's last stage. One error naming it, when the network is used as a program does.
#include "program.hpp" // and the network used as a program uses it: still one error

#include <ctnn/runtime/quantize.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<2, 8>>, ctnn::conv1d<3, 3>, ctnn::relu,
                            ctnn::max_pool1d<ctnn::window<2>>, ctnn::conv1d<2, 1>>;
using out = ctnn::shape<2, 3>;
#else
using model =
    ctnn::network<ctnn::input<ctnn::shape<2, 8>>, ctnn::conv1d<3, 3>, ctnn::relu, ctnn::max_pool1d<ctnn::window<2>>>;
using out = ctnn::shape<3, 3>;
#endif

int main() {
  const int used = program::use<model, ctnn::shape<2, 8>, out>();
  auto net = ctnn::make<model>(ctnn::init::pytorch_default{}, 1);
  ctnn::dataset<float, ctnn::shape<2, 8>, out> calibration;
  calibration.push_back(ctnn::tensor<float, ctnn::shape<2, 8>>{}, ctnn::tensor<float, out>{});
  const auto q = ctnn::quantize(net, calibration);
  return used + static_cast<int>(q(ctnn::tensor<float, ctnn::shape<2, 8>>{})[0]);
}
