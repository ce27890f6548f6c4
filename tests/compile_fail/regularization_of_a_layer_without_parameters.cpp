// expect: layer_has_no_parameters<ctnn::diag::layer_index<2>, ctnn::tanh>
#include <ctnn/ctnn.hpp>

using model = ctnn::network<ctnn::input<ctnn::shape<4>>, ctnn::dense<5>, ctnn::tanh, ctnn::dense<2>>;

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::mse{}, ctnn::optim::sgd{}};
#ifdef CTNN_PASSING_TWIN
  fit.set_regularization<3>({.l2 = 1e-3});
#else
  fit.set_regularization<2>({.l2 = 1e-3}); // tanh, fused into dense<5>
#endif
  return fit.regularization_terms().l2 > 0 ? 1 : 0;
}
