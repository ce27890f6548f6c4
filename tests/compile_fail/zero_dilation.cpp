// expect: layer_has_zero_stride_or_dilation<ctnn::diag::layer_index<1>, ctnn::conv2d<4, ctnn::kernel<3[^>]*>, ctnn::dilation<0[^>]*> ?>, ctnn::diag::fix_give_stride_and_dilation_at_least_1>
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<2, 9, 9>>, ctnn::conv2d<4, ctnn::kernel<3>, ctnn::dilation<1>>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<2, 9, 9>>, ctnn::conv2d<4, ctnn::kernel<3>, ctnn::dilation<0>>>;
#endif

int main() { return program::use<model, ctnn::shape<2, 9, 9>, ctnn::shape<4, 7, 7>>(); }
