// expect: network_is_empty<ctnn::diag::fix_start_the_network_with_input_shape>
#include <ctnn/dsl/network.hpp>

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<1>>>;
#else
using model = ctnn::network<>;
#endif

constexpr bool checked = model::valid;
int main() { return checked ? 0 : 1; }
