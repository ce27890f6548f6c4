// expect: loss_applies_the_final_activation<ctnn::loss::softmax_cross_entropy, ctnn::diag::layer_index<2>, ctnn::diag::final_layer<ctnn::softmax>, ctnn::diag::fix_drop_the_final_softmax_the_loss_applies_it>
// softmax_cross_entropy takes logits and applies softmax itself: a final softmax would apply it
// twice (and still train, badly, without a word in PyTorch).
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, ctnn::softmax>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::softmax_cross_entropy{}, ctnn::optim::adam{}};
  ctnn::dataset<float, ctnn::shape<3>, ctnn::shape<1>> d;
  return static_cast<int>(fit.train(d, {.epochs = 1}).history.size() + fit.evaluate(d).loss);
}
