// expect: dataset_input_mismatch<ctnn::diag::network_input<ctnn::shape<3> ?>, ctnn::diag::dataset_input<ctnn::shape<4> ?>, ctnn::diag::fix_make_the_dataset_with_the_network_input_shape ?>
#include <ctnn/ctnn.hpp>

using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<2>>;
#ifdef CTNN_PASSING_TWIN
using data = ctnn::dataset<float, ctnn::shape<3>, ctnn::shape<1>>;
#else
using data = ctnn::dataset<float, ctnn::shape<4>, ctnn::shape<1>>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::softmax_cross_entropy{}, ctnn::optim::adam{}};
  data d;
  return static_cast<int>(fit.evaluate(d).loss);
}
