// expect: loss_target_mismatch<ctnn::loss::softmax_cross_entropy, ctnn::diag::network_output<ctnn::shape<10> ?>, ctnn::diag::target<ctnn::shape<10> ?>, ctnn::diag::expects<ctnn::shape<1> ?>, ctnn::diag::fix_give_each_sample_its_class_index_as_a_shape_1_target ?>
// Cross-entropy takes each sample's class index, not a one-hot row as some libraries do.
#include <ctnn/ctnn.hpp>

using model = ctnn::network<ctnn::input<ctnn::shape<4>>, ctnn::dense<10>>;
#ifdef CTNN_PASSING_TWIN
using data = ctnn::dataset<float, ctnn::shape<4>, ctnn::shape<1>>;
#else
using data = ctnn::dataset<float, ctnn::shape<4>, ctnn::shape<10>>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::softmax_cross_entropy{}, ctnn::optim::adam{}};
  data d;
  auto report = fit.train(d, {.epochs = 1});
  return static_cast<int>(report.history.size() + fit.evaluate(d).loss);
}
