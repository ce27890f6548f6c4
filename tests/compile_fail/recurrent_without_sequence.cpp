// expect: layer_rejects_input_shape<ctnn::diag::layer_index<1>, ctnn::lstm<16 ?>, ctnn::diag::expects<ctnn::diag::a_sequence>, ctnn::diag::receives<ctnn::shape<12, 8> ?>, ctnn::diag::fix_declare_the_input_as_sequence_steps_features>
// A recurrent layer runs over time steps: the input must be declared as sequence<Steps, Features>
// (a shape<12, 8> is a 1-D signal of 12 channels, for conv1d).
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using declared_input = ctnn::sequence<12, 8>;
using model = ctnn::network<ctnn::input<ctnn::sequence<12, 8>>, ctnn::lstm<16>, ctnn::last, ctnn::dense<1>>;
#else
using declared_input = ctnn::shape<12, 8>;
using model = ctnn::network<ctnn::input<ctnn::shape<12, 8>>, ctnn::lstm<16>, ctnn::last, ctnn::dense<1>>;
#endif

int main() { return program::use<model, declared_input, ctnn::shape<1>>(); }
