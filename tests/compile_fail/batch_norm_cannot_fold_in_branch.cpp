// expect: batch_norm_cannot_fold<ctnn::diag::in_block<ctnn::diag::layer_index<2>, ctnn::diag::in_branch<ctnn::diag::branch_index<1>, ctnn::diag::inner_index<1> ?> ?>, ctnn::batch_norm, ctnn::diag::previous_layer<ctnn::relu>, ctnn::diag::fix_put_batch_norm_right_after_dense_or_conv>
// fold_batch_norm looks inside every branch of a parallel block: a batch_norm there that cannot
// fold is named by the block's index, the branch and its inner index.
#include <ctnn/ctnn.hpp>

#ifdef CTNN_PASSING_TWIN
using block = ctnn::parallel<ctnn::concat, ctnn::branch<ctnn::dense<4>, ctnn::batch_norm>,
                             ctnn::branch<ctnn::dense<4>, ctnn::batch_norm, ctnn::relu>>;
#else
using block = ctnn::parallel<ctnn::concat, ctnn::branch<ctnn::dense<4>, ctnn::batch_norm>,
                             ctnn::branch<ctnn::relu, ctnn::batch_norm, ctnn::dense<4>>>;
#endif
using model = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<4>, block, ctnn::dense<1>>;

int main() {
  const auto net = ctnn::make<model>(ctnn::init::glorot_uniform{}, 1);
  const auto deployed = ctnn::fold_batch_norm(net);
  return deployed(typename decltype(deployed)::input_type{})[0] > 0 ? 1 : 0;
}
