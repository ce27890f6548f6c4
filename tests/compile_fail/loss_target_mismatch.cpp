// expect: loss_target_mismatch<ctnn::loss::mse, ctnn::diag::network_output<ctnn::shape<1> ?>, ctnn::diag::target<ctnn::shape<2> ?>, ctnn::diag::expects<ctnn::shape<1> ?>, ctnn::diag::fix_make_the_targets_the_expected_shape ?>
// The loss compares the network output with the dataset's targets: their shapes must agree.
#include <ctnn/ctnn.hpp>

using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<8>, ctnn::tanh, ctnn::dense<1>>;
#ifdef CTNN_PASSING_TWIN
using data = ctnn::dataset<float, ctnn::shape<3>, ctnn::shape<1>>;
#else
using data = ctnn::dataset<float, ctnn::shape<3>, ctnn::shape<2>>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::mse{}, ctnn::optim::sgd{.lr = 0.1f}};
  data d;
  auto report = fit.train(d, {.epochs = 1});
  return static_cast<int>(report.history.size());
}
