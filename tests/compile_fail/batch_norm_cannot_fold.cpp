// expect: batch_norm_cannot_fold<ctnn::diag::layer_index<3>, ctnn::batch_norm, ctnn::diag::previous_layer<ctnn::relu>, ctnn::diag::fix_put_batch_norm_right_after_dense_or_conv>
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<4>, ctnn::batch_norm, ctnn::relu, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<4>, ctnn::relu, ctnn::batch_norm, ctnn::dense<1>>;
#endif

int main() {
  const auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  const auto deployed = ctnn::fold_batch_norm(net);
  return deployed(typename decltype(deployed)::input_type{})[0] > 0 ? 1 : 0;
}
