// expect: layer_rejects_input_shape<ctnn::diag::layer_index<1>, ctnn::dense<10>, ctnn::diag::expects<ctnn::diag::rank<1> ?>, ctnn::diag::receives<ctnn::shape<28, 28, 1> ?>, ctnn::diag::fix_insert_flatten_before_this_layer>
// A dense layer needs a vector; an image must be flattened first.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<28, 28, 1>>, ctnn::flatten, ctnn::dense<10>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<28, 28, 1>>, ctnn::dense<10>>;
#endif

int main() { return program::use<model, ctnn::shape<28, 28, 1>, ctnn::shape<10>>(); }
