// expect: layer_rejects_input_shape<ctnn::diag::in_block<ctnn::diag::layer_index<1>, ctnn::diag::inner_index<1> ?>, ctnn::dense<4>, ctnn::diag::expects<ctnn::diag::rank<1> ?>, ctnn::diag::receives<ctnn::shape<2, 6, 6> ?>, ctnn::diag::fix_insert_flatten_before_this_layer>
// A failure inside a block names the block's layer index and the inner index.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<2, 6, 6>>,
                            ctnn::residual<ctnn::conv2d<2, ctnn::kernel<3>, ctnn::same>, ctnn::relu>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<2, 6, 6>>,
                            ctnn::residual<ctnn::conv2d<2, ctnn::kernel<3>, ctnn::same>, ctnn::dense<4>>>;
#endif

int main() { return program::use<model, ctnn::shape<2, 6, 6>, ctnn::shape<2, 6, 6>>(); }
