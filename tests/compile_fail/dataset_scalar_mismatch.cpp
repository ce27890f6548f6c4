// expect: dataset_scalar_mismatch<ctnn::diag::network_scalar<float>, ctnn::diag::dataset_scalar<double>, ctnn::diag::fix_make_the_network_and_the_dataset_with_one_scalar_type>
// A float network trained on a double dataset: one diagnostic, not errors from inside the trainer.
#include <ctnn/ctnn.hpp>

using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, ctnn::relu, ctnn::dense<1>>;
#ifdef CTNN_PASSING_TWIN
using data = ctnn::dataset<float, ctnn::shape<3>, ctnn::shape<1>>;
#else
using data = ctnn::dataset<double, ctnn::shape<3>, ctnn::shape<1>>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::mse{}, ctnn::optim::adam{}};
  data d;
  auto report = fit.train(d, {.epochs = 1});
  return static_cast<int>(report.history.size() + fit.evaluate(d).loss);
}
