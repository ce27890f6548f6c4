// expect: layer_rejects_input_shape<ctnn::diag::layer_index<2>, ctnn::last, ctnn::diag::expects<ctnn::diag::a_sequence>, ctnn::diag::receives<ctnn::shape<16> ?>, ctnn::diag::fix_declare_the_input_as_sequence_steps_features>
// `last` keeps a sequence's final step; after a dense layer there is no sequence left.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using declared_input = ctnn::sequence<12, 8>;
using model = ctnn::network<ctnn::input<ctnn::sequence<12, 8>>, ctnn::gru<16>, ctnn::last, ctnn::dense<1>>;
#else
using declared_input = ctnn::shape<8>;
using model = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<16>, ctnn::last, ctnn::dense<1>>;
#endif

int main() { return program::use<model, declared_input, ctnn::shape<1>>(); }
