// expect: loss_target_mismatch<ctnn::loss::mse, ctnn::diag::network_output<ctnn::sequence<12, 1> ?>, ctnn::diag::target<ctnn::shape<1> ?>, ctnn::diag::expects<ctnn::sequence<12, 1> ?>, ctnn::diag::fix_insert_last_before_the_layers_that_predict_once_per_sequence>
// A per-step head gives one prediction per step; trained on one target per sequence, the usual
// mistake is a missing `last` (lstm, last, dense<1>), and the loss's check says so.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::sequence<12, 8>>, ctnn::lstm<16>, ctnn::last, ctnn::dense<1>>;
#else
using model = ctnn::network<ctnn::input<ctnn::sequence<12, 8>>, ctnn::lstm<16>, ctnn::per_step<ctnn::dense<1>>>;
#endif

int main() { return program::use<model, ctnn::sequence<12, 8>, ctnn::shape<1>>(); }
