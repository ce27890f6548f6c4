// expect: dropout_probability_out_of_range<ctnn::diag::layer_index<2>, ctnn::dropout<5, 5> ?, ctnn::diag::fix_give_a_probability_num_over_den_in_0_1>
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<4>, ctnn::dropout<1, 5>, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<4>, ctnn::dropout<5, 5>, ctnn::dense<1>>; // p = 1
#endif

int main() { return program::use<model, ctnn::shape<8>, ctnn::shape<1>>(); }
