// expect: input_read_by_no_branch<ctnn::diag::layer_index<1>, ctnn::parallel<ctnn::concat, [^>]*>[^>]*>[^>]*>[^>]*>[^>]*>[^>]*> ?>, ctnn::diag::input_index<1>, ctnn::diag::receives<ctnn::inputs<ctnn::shape<4>, ctnn::shape<2> ?> ?>, ctnn::diag::fix_read_every_input_with_from_in_some_branch>
// Both branches read input 0; input 1 would be ignored. The error names the block and the input.
#include "program.hpp" // and the network used as a program uses it: still one error

using inputs = ctnn::inputs<ctnn::shape<4>, ctnn::shape<2>>;
#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<inputs,
                            ctnn::parallel<ctnn::concat, ctnn::branch<ctnn::from<0>, ctnn::dense<3>>,
                                           ctnn::branch<ctnn::from<1>, ctnn::dense<2>>>,
                            ctnn::dense<1>>;
#else
using model = ctnn::network<inputs,
                            ctnn::parallel<ctnn::concat, ctnn::branch<ctnn::from<0>, ctnn::dense<3>>,
                                           ctnn::branch<ctnn::from<0>, ctnn::dense<2>>>,
                            ctnn::dense<1>>;
#endif

int main() { return program::use<model, inputs, ctnn::shape<1>>(); }
