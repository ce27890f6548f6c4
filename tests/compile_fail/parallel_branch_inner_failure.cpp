// expect: layer_rejects_input_shape<ctnn::diag::in_block<ctnn::diag::layer_index<1>, ctnn::diag::in_branch<ctnn::diag::branch_index<1>, ctnn::diag::inner_index<0> ?> ?>, ctnn::dense<4>, ctnn::diag::expects<ctnn::diag::rank<1> ?>, ctnn::diag::receives<ctnn::shape<2, 6, 6> ?>, ctnn::diag::fix_insert_flatten_before_this_layer>
// A failure inside a branch names the block's layer index, the branch and the inner index.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<2, 6, 6>>,
                            ctnn::parallel<ctnn::add, ctnn::branch<ctnn::flatten, ctnn::dense<4>>,
                                           ctnn::branch<ctnn::flatten, ctnn::dense<4>>>>;
#else
using model =
    ctnn::network<ctnn::input<ctnn::shape<2, 6, 6>>,
                  ctnn::parallel<ctnn::add, ctnn::branch<ctnn::flatten, ctnn::dense<4>>, ctnn::branch<ctnn::dense<4>>>>;
#endif

int main() { return program::use<model, ctnn::shape<2, 6, 6>, ctnn::shape<4>>(); }
