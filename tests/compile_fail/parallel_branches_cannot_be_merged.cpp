// expect: branches_cannot_be_merged<ctnn::diag::layer_index<2>, ctnn::parallel<ctnn::concat, [^>]*>[^>]*>[^>]*>[^>]*> ?>, ctnn::diag::merge<ctnn::concat>, ctnn::diag::receives<ctnn::shape<4, 8, 8> ?>, ctnn::diag::branch_outputs<ctnn::diag::branch_output<ctnn::diag::branch_index<0>, ctnn::shape<4, 8, 8> ?>, ctnn::diag::branch_output<ctnn::diag::branch_index<1>, ctnn::shape<2, 6, 6> ?> ?>, ctnn::diag::fix_give_every_branch_the_same_rank_and_extents_but_the_first>
// Channel maps concatenate when their spatial extents agree; the error names the block, the
// merge, and each branch with its output shape.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<
    ctnn::input<ctnn::shape<1, 10, 10>>, ctnn::conv2d<4, ctnn::kernel<3>>,
    ctnn::parallel<ctnn::concat, ctnn::branch<>, ctnn::branch<ctnn::conv2d<2, ctnn::kernel<3>, ctnn::same>>>>;
#else
using model =
    ctnn::network<ctnn::input<ctnn::shape<1, 10, 10>>, ctnn::conv2d<4, ctnn::kernel<3>>,
                  ctnn::parallel<ctnn::concat, ctnn::branch<>, ctnn::branch<ctnn::conv2d<2, ctnn::kernel<3>>>>>;
#endif

int main() { return program::use<model, ctnn::shape<1, 10, 10>, ctnn::shape<6, 8, 8>>(); }
