// expect: output_padding_too_large<ctnn::diag::layer_index<1>, ctnn::conv_transpose2d<4, ctnn::kernel<3, 3>, ctnn::stride<2, 2>, ctnn::output_padding<2, 2> ?>, ctnn::diag::fix_keep_output_padding_below_the_stride_or_dilation>
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<8, 7, 7>>,
                            ctnn::conv_transpose2d<4, ctnn::kernel<3, 3>, ctnn::stride<2>, ctnn::output_padding<1>>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<8, 7, 7>>,
                            ctnn::conv_transpose2d<4, ctnn::kernel<3, 3>, ctnn::stride<2>, ctnn::output_padding<2>>>;
#endif

int main() { return program::use<model, ctnn::shape<8, 7, 7>, ctnn::shape<4, 16, 16>>(); }
