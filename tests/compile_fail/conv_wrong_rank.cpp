// expect: layer_rejects_input_shape<ctnn::diag::layer_index<1>, ctnn::conv2d<4, ctnn::kernel<3[^>]*> ?>, ctnn::diag::expects<ctnn::diag::rank<3> ?>, ctnn::diag::receives<ctnn::shape<784> ?>, ctnn::diag::fix_reshape_to_channels_height_width>
// conv2d needs [C, H, W]; a flat 784-vector must be reshaped first.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<784>>, ctnn::reshape<1, 28, 28>, ctnn::conv2d<4, ctnn::kernel<3>>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<784>>, ctnn::conv2d<4, ctnn::kernel<3>>>;
#endif

int main() { return program::use<model, ctnn::shape<784>, ctnn::shape<4, 26, 26>>(); }
