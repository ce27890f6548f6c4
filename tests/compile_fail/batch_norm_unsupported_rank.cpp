// expect: batch_norm_unsupported_rank<ctnn::diag::layer_index<1>, ctnn::batch_norm, ctnn::diag::expects<ctnn::diag::features_or_channel_maps>, ctnn::diag::receives<ctnn::sequence<8, 4> ?>, ctnn::diag::fix_use_layer_norm_on_sequences>
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model =
    ctnn::network<ctnn::input<ctnn::sequence<8, 4>>, ctnn::layer_norm, ctnn::lstm<6>, ctnn::last, ctnn::dense<1>>;
#else
using model =
    ctnn::network<ctnn::input<ctnn::sequence<8, 4>>, ctnn::batch_norm, ctnn::lstm<6>, ctnn::last, ctnn::dense<1>>;
#endif

int main() { return program::use<model, ctnn::sequence<8, 4>, ctnn::shape<1>>(); }
