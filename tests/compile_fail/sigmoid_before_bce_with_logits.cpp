// expect: loss_applies_the_final_activation<ctnn::loss::bce_with_logits, ctnn::diag::layer_index<4>, ctnn::diag::final_layer<ctnn::sigmoid>, ctnn::diag::fix_drop_the_final_sigmoid_the_loss_applies_it>
// bce_with_logits applies the sigmoid itself.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, ctnn::relu, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, ctnn::relu, ctnn::dense<1>, ctnn::sigmoid>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::bce_with_logits{}, ctnn::optim::sgd{}};
  ctnn::dataset<float, ctnn::shape<3>, ctnn::shape<1>> d;
  return static_cast<int>(fit.train(d, {.epochs = 1}).history.size());
}
