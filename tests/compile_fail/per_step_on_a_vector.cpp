// expect: layer_rejects_input_shape<ctnn::diag::layer_index<2>, ctnn::per_step<ctnn::dense<4> ?>, ctnn::diag::expects<ctnn::diag::a_sequence>, ctnn::diag::receives<ctnn::shape<16> ?>, ctnn::diag::fix_use_the_layer_itself_on_vectors>
// per_step<Layer> runs Layer on every step of a sequence; on a vector, Layer alone is meant.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<16>, ctnn::dense<4>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<8>>, ctnn::dense<16>, ctnn::per_step<ctnn::dense<4>>>;
#endif

int main() { return program::use<model, ctnn::shape<8>, ctnn::shape<4>>(); }
