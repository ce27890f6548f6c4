// expect: layer_has_zero_size<ctnn::diag::layer_index<1>, ctnn::gru<0 ?>, ctnn::diag::fix_give_the_layer_at_least_one_unit>
// A recurrent layer needs at least one hidden unit.
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::sequence<12, 8>>, ctnn::gru<1>, ctnn::last>;
#else
using model = ctnn::network<ctnn::input<ctnn::sequence<12, 8>>, ctnn::gru<0>, ctnn::last>;
#endif

int main() { return program::use<model, ctnn::sequence<12, 8>, ctnn::shape<1>>(); }
