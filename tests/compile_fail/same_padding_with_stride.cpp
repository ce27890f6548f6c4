// expect: same_padding_needs_stride_1<ctnn::diag::layer_index<1>, ctnn::conv2d<4, ctnn::kernel<3[^>]*>, ctnn::same, ctnn::stride<2[^>]*> ?>, ctnn::diag::fix_use_explicit_padding_with_a_stride>
// As in PyTorch, 'same' padding is defined for stride 1 only.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<2, 9, 9>>,
                            ctnn::conv2d<4, ctnn::kernel<3>, ctnn::padding<1>, ctnn::stride<2>>>;
#else
using model =
    ctnn::network<ctnn::input<ctnn::shape<2, 9, 9>>, ctnn::conv2d<4, ctnn::kernel<3>, ctnn::same, ctnn::stride<2>>>;
#endif

int main() { return program::use<model, ctnn::shape<2, 9, 9>, ctnn::shape<4, 5, 5>>(); }
