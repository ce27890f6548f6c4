// expect: network_has_no_input<ctnn::diag::first_layer<ctnn::dense<4> ?>, ctnn::diag::fix_start_the_network_with_input_shape>
#include <ctnn/dsl/network.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<3>>, ctnn::dense<4>, ctnn::relu>;
#else
using model = ctnn::network<ctnn::dense<4>, ctnn::relu>;
#endif

constexpr bool checked = model::valid;
int main() { return checked ? 0 : 1; }
