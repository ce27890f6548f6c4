// expect: layer_has_no_integer_form<ctnn::diag::layer_index<2>, ctnn::tanh, ctnn::diag::fix_bf16_networks_of_dense_and_relu>
// ctnn::to_bf16 takes dense layers and relu; a tanh has no bf16 form yet: one error naming it,
// when the network is trained and then converted as a program does.
#include "program.hpp" // and the network used as a program uses it: still one error

#include <ctnn/runtime/bf16.hpp>

#ifdef CTNN_PASSING_TWIN
using activation = ctnn::relu;
#else
using activation = ctnn::tanh;
#endif
using model = ctnn::network<ctnn::input<ctnn::shape<6>>, ctnn::dense<8>, activation, ctnn::dense<2>>;

int main() {
  const int used = program::use<model, ctnn::shape<6>, ctnn::shape<2>>();
  auto net = ctnn::make<model>(ctnn::init::pytorch_default{}, 1);
  const auto b = ctnn::to_bf16(net);
  return used + static_cast<int>(b(ctnn::tensor<float, ctnn::shape<6>>{})[0]);
}
