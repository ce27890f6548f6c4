// expect: layer_rejects_input_shape<ctnn::diag::layer_index<2>, ctnn::dense<1>, ctnn::diag::expects<ctnn::diag::rank<1> ?>, ctnn::diag::receives<ctnn::sequence<12, 16> ?>, ctnn::diag::fix_insert_last_before_this_layer_or_wrap_it_in_per_step>
// A dense layer needs a vector: after a recurrent layer, `last` keeps the final step.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::sequence<12, 8>>, ctnn::lstm<16>, ctnn::last, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::sequence<12, 8>>, ctnn::lstm<16>, ctnn::dense<1>>;
#endif

int main() { return program::use<model, ctnn::sequence<12, 8>, ctnn::shape<1>>(); }
