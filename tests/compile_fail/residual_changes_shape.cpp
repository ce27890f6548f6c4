// expect: residual_changes_the_shape<ctnn::diag::layer_index<2>, ctnn::residual<ctnn::conv2d<8, ctnn::kernel<3[^>]*> ?> ?>, ctnn::diag::receives<ctnn::shape<4, 8, 8> ?>, ctnn::diag::inner_output<ctnn::shape<8, 6, 6> ?>, ctnn::diag::fix_start_the_block_with_project>
// y = x + f(x) needs f to keep the shape; residual<project, ...> adds a 1x1 projection instead.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<1, 10, 10>>, ctnn::conv2d<4, ctnn::kernel<3>>,
                            ctnn::residual<ctnn::project, ctnn::conv2d<8, ctnn::kernel<3>, ctnn::same>>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<1, 10, 10>>, ctnn::conv2d<4, ctnn::kernel<3>>,
                            ctnn::residual<ctnn::conv2d<8, ctnn::kernel<3>>>>;
#endif

int main() { return program::use<model, ctnn::shape<1, 10, 10>, ctnn::shape<8, 8, 8>>(); }
