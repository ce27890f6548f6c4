// expect: groups_do_not_divide_channels<ctnn::diag::layer_index<2>, ctnn::conv2d<6, ctnn::kernel<3(, 3)?>, ctnn::same, ctnn::groups<4> ?>, ctnn::diag::receives<ctnn::shape<4, 8, 8> ?>, ctnn::diag::fix_make_channels_and_filters_multiples_of_the_groups>
// groups<4> splits 4 channels in 4 groups, but 6 filters do not split in 4.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model =
    ctnn::network<ctnn::input<ctnn::shape<1, 8, 8>>, ctnn::conv2d<4, ctnn::kernel<3>, ctnn::same>,
                  ctnn::conv2d<8, ctnn::kernel<3>, ctnn::same, ctnn::groups<4>>, ctnn::flatten, ctnn::dense<2>>;
#else
using model =
    ctnn::network<ctnn::input<ctnn::shape<1, 8, 8>>, ctnn::conv2d<4, ctnn::kernel<3>, ctnn::same>,
                  ctnn::conv2d<6, ctnn::kernel<3>, ctnn::same, ctnn::groups<4>>, ctnn::flatten, ctnn::dense<2>>;
#endif

int main() { return program::use<model, ctnn::shape<1, 8, 8>, ctnn::shape<2>>(); }
