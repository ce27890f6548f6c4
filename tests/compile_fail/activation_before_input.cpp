// expect: activation_before_input<ctnn::diag::layer_index<0>, ctnn::relu, ctnn::diag::fix_put_the_activation_after_input_and_a_layer>
#include <ctnn/dsl/network.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::relu, ctnn::dense<2>>;
#else
using model = ctnn::network<ctnn::relu, ctnn::input<ctnn::shape<3>>, ctnn::dense<2>>;
#endif

constexpr bool checked = model::valid;
int main() { return checked ? 0 : 1; }
