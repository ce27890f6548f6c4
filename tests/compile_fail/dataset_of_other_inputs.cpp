// expect: dataset_input_mismatch<ctnn::diag::network_input<ctnn::inputs<ctnn::sequence<8, 2>, ctnn::shape<3> ?> ?>, ctnn::diag::dataset_input<ctnn::inputs<ctnn::sequence<8, 2>, ctnn::shape<4> ?> ?>, ctnn::diag::fix_make_the_dataset_with_the_network_input_shape ?>
// A network over two inputs trained from a dataset whose second input has another shape: the
// error names both lists of inputs.
#include <ctnn/ctnn.hpp>

using model = ctnn::network<ctnn::inputs<ctnn::sequence<8, 2>, ctnn::shape<3>>,
                            ctnn::parallel<ctnn::concat, ctnn::branch<ctnn::from<0>, ctnn::gru<4>, ctnn::last>,
                                           ctnn::branch<ctnn::from<1>, ctnn::dense<4>>>,
                            ctnn::dense<1>>;
#ifdef CTNN_PASSING_TWIN
using data = ctnn::dataset<float, ctnn::inputs<ctnn::sequence<8, 2>, ctnn::shape<3>>, ctnn::shape<1>>;
#else
using data = ctnn::dataset<float, ctnn::inputs<ctnn::sequence<8, 2>, ctnn::shape<4>>, ctnn::shape<1>>;
#endif

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::mse{}, ctnn::optim::adam{}};
  data d;
  const auto report = fit.train(d, {.epochs = 1, .log = nullptr});
  return static_cast<int>(fit.evaluate(d).loss) + static_cast<int>(report.history.size());
}
