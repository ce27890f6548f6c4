// expect: nothing_may_follow<ctnn::diag::layer_index<3>, ctnn::heads<[^>]*>[^>]*>[^>]*>[^>]*> ?>, ctnn::diag::following_layer<ctnn::softmax>, ctnn::diag::fix_put_the_layer_inside_each_head>
// heads<...> ends the network: a layer after it would mix the heads' outputs. The error names
// the heads, the layer after them and the fix (put it inside the head that needs it).
#include "program.hpp" // and the network used as a program uses it: still one error

#ifdef CTNN_PASSING_TWIN
using model = ctnn::network<ctnn::input<ctnn::shape<6>>, ctnn::dense<8>, ctnn::relu,
                            ctnn::heads<ctnn::branch<ctnn::dense<3>, ctnn::softmax>, ctnn::branch<ctnn::dense<1>>>>;
#else
using model = ctnn::network<ctnn::input<ctnn::shape<6>>, ctnn::dense<8>, ctnn::relu,
                            ctnn::heads<ctnn::branch<ctnn::dense<3>>, ctnn::branch<ctnn::dense<1>>>, ctnn::softmax>;
#endif

int main() {
  return program::use<model, ctnn::shape<6>, ctnn::shape<4>, ctnn::loss::heads<ctnn::loss::mse, ctnn::loss::mse>>();
}
