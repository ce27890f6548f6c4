// expect: window_larger_than_padded_input<ctnn::diag::layer_index<1>, ctnn::conv2d<2, ctnn::kernel<5[^>]*>, ctnn::dilation<2[^>]*> ?>, ctnn::diag::receives<ctnn::shape<1, 6, 6> ?>, ctnn::diag::fix_pad_the_input_or_use_a_smaller_window>
// A 5x5 kernel dilated by 2 spans 9 pixels; the input has 6 (and no padding): no output. The
// program also calls, trains, saves and summarizes the network: still one error.
#include "program.hpp"

#ifdef CTNN_PASSING_TWIN
using model =
    ctnn::network<ctnn::input<ctnn::shape<1, 6, 6>>,
                  ctnn::conv2d<2, ctnn::kernel<5>, ctnn::dilation<2>, ctnn::padding<4>>, ctnn::flatten, ctnn::dense<3>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<1, 6, 6>>, ctnn::conv2d<2, ctnn::kernel<5>, ctnn::dilation<2>>,
                            ctnn::flatten, ctnn::dense<3>>;
#endif

int main() { return program::use<model, ctnn::shape<1, 6, 6>, ctnn::shape<3>>(); }
