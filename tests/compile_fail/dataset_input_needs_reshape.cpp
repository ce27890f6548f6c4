// expect: dataset_input_mismatch<ctnn::diag::network_input<ctnn::shape<1, 8, 8> ?>, ctnn::diag::dataset_input<ctnn::shape<64> ?>, ctnn::diag::fix_declare_the_input_as_the_dataset_shape_then_reshape<ctnn::input<ctnn::shape<64> ?>, ctnn::reshape<1, 8, 8> ?> ?>
// A dataset of 64 values per sample for a network on 1x8x8 images: the fix names the two layers
// that read it (input<shape<64>>, reshape<1, 8, 8>).
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<64>>, ctnn::reshape<1, 8, 8>, ctnn::conv2d<4, ctnn::kernel<3>>,
                            ctnn::flatten, ctnn::dense<10>>;
#else
using model =
    ctnn::network<ctnn::input<ctnn::shape<1, 8, 8>>, ctnn::conv2d<4, ctnn::kernel<3>>, ctnn::flatten, ctnn::dense<10>>;
#endif
using data = ctnn::dataset<float, ctnn::shape<64>, ctnn::shape<1>>;

int main() {
  auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  ctnn::trainer fit{net, ctnn::loss::softmax_cross_entropy{}, ctnn::optim::adam{}};
  data d;
  auto report = fit.train(d, {.epochs = 1});
  return static_cast<int>(report.history.size());
}
