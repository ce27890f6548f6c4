// expect: layer_rejects_input_shape<ctnn::diag::layer_index<2>, ctnn::max_pool1d<ctnn::window<2[^>]*> ?>, ctnn::diag::expects<ctnn::diag::rank<2> ?>, ctnn::diag::receives<ctnn::shape<4, 6, 6> ?>, ctnn::diag::fix_reshape_to_channels_length>
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<1, 8, 8>>, ctnn::conv2d<4, ctnn::kernel<3>>,
                            ctnn::max_pool2d<ctnn::window<2>>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<1, 8, 8>>, ctnn::conv2d<4, ctnn::kernel<3>>,
                            ctnn::max_pool1d<ctnn::window<2>>>;
#endif

int main() { return program::use<model, ctnn::shape<1, 8, 8>, ctnn::shape<4, 3, 3>>(); }
