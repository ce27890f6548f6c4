// expect: layer_has_zero_stride_or_dilation<ctnn::diag::layer_index<1>, ctnn::conv1d<4, 3, ctnn::stride<0[^>]*> ?>, ctnn::diag::fix_give_stride_and_dilation_at_least_1>
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<2, 16>>, ctnn::conv1d<4, 3, ctnn::stride<1>>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<2, 16>>, ctnn::conv1d<4, 3, ctnn::stride<0>>>;
#endif

int main() { return program::use<model, ctnn::shape<2, 16>, ctnn::shape<4, 14>>(); }
