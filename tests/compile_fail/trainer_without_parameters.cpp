// expect: network_has_no_parameters<ctnn::diag::network_input<ctnn::shape<3> ?>, ctnn::diag::fix_add_a_layer_with_parameters_such_as_dense>
// A network of only input<> (or activations) has nothing to train.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<3>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::relu>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::mse{}, ctnn::optim::sgd{}};
  ctnn::dataset<float, ctnn::shape<3>, ctnn::shape<3>> d;
  return static_cast<int>(fit.train(d, {.epochs = 1}).history.size());
}
