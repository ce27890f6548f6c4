// expect: window_larger_than_padded_input<ctnn::diag::layer_index<2>, ctnn::max_pool2d<ctnn::window<4[^>]*> ?>, ctnn::diag::receives<ctnn::shape<2, 3, 3> ?>, ctnn::diag::fix_pad_the_input_or_use_a_smaller_window>
// The pooled output would have size zero.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<1, 5, 5>>, ctnn::conv2d<2, ctnn::kernel<3>>,
                            ctnn::max_pool2d<ctnn::window<3>>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<1, 5, 5>>, ctnn::conv2d<2, ctnn::kernel<3>>,
                            ctnn::max_pool2d<ctnn::window<4>>>;
#endif

int main() { return program::use<model, ctnn::shape<1, 5, 5>, ctnn::shape<2, 1, 1>>(); }
