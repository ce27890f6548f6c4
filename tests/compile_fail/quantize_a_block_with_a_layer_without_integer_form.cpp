// expect: layer_has_no_integer_form<ctnn::diag::in_block<ctnn::diag::in_block<ctnn::diag::layer_index<3>, ctnn::diag::in_branch<ctnn::diag::branch_index<1>, ctnn::diag::inner_index<1> ?> ?>, ctnn::diag::inner_index<1> ?>, ctnn::tanh, ctnn::diag::fix_quantize_networks_of_dense_conv_max_pool_and_relu>
// ctnn::quantize goes through composite blocks (residual, parallel with concat or add); a tanh
// inside a residual block inside a branch has no integer form: one error naming it by its place
// in the blocks, when the network is trained and then quantized as a program does.
#include "program.hpp" // and the network used as a program uses it: still one error

#include <ctnn/runtime/quantize.hpp>

#ifdef CTNN_PASSING_TWIN
using activation = ctnn::relu;
#else
using activation = ctnn::tanh;
#endif
using model = ctnn::network<
    ctnn::input<ctnn::shape<6>>, ctnn::dense<8>, ctnn::relu,
    ctnn::parallel<ctnn::add, ctnn::branch<ctnn::dense<8>>,
                   ctnn::branch<ctnn::dense<4>, ctnn::residual<ctnn::dense<4>, activation>, ctnn::dense<8>>>,
    ctnn::dense<2>>;

int main() {
  const int used = program::use<model, ctnn::shape<6>, ctnn::shape<2>>();
  auto net = ctnn::make<model>(ctnn::init::pytorch_default{}, 1);
  ctnn::dataset<float, ctnn::shape<6>, ctnn::shape<2>> calibration;
  calibration.push_back(ctnn::tensor<float, ctnn::shape<6>>{}, ctnn::tensor<float, ctnn::shape<2>>{});
  const auto q = ctnn::quantize(net, calibration);
  return used + static_cast<int>(q(ctnn::tensor<float, ctnn::shape<6>>{})[0]);
}
