// expect: from_reads_no_inputs<ctnn::diag::layer_index<2>, ctnn::from<0>, ctnn::diag::receives<ctnn::shape<8> ?>, ctnn::diag::fix_put_from_first_in_a_branch_of_the_block_right_after_inputs>
// from<I> reads one of several inputs: it belongs first in a branch of the block right after
// inputs<...>, not in a chain over one input.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<4>>, ctnn::dense<8>, ctnn::dense<2>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<4>>, ctnn::dense<8>, ctnn::from<0>, ctnn::dense<2>>;
#endif

int main() { return program::use<model, ctnn::shape<4>, ctnn::shape<2>>(); }
